package dev.djlmetal.zoo;

import ai.djl.Application;
import ai.djl.repository.Artifact;
import ai.djl.repository.MRL;
import ai.djl.repository.Metadata;
import ai.djl.repository.Repository;
import ai.djl.training.util.ProgressBar;
import ai.djl.util.Progress;
import ai.djl.util.Utils;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link Repository} for one Hugging Face Hub model, {@code hf://org/name[@revision]}.
 *
 * <p>{@link #prepare(Artifact, Progress)} downloads the model into DJL's cache directory ({@code
 * Utils.getCacheDir()/hf/org/name/revision}) with {@link HubDownloader}: resumable, checksummed,
 * with a progress bar. In DJL's offline mode ({@code ai.djl.offline=true}) only the cache is used.
 * The hub base URL is {@code HF_ENDPOINT} (system property or environment variable; default {@code
 * https://huggingface.co}); {@code HF_TOKEN}, when set, authenticates the requests.
 */
public final class HubRepository implements Repository {

    /** The default hub base URL. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    private final String name;
    private final URI uri;
    private final HubModelId id;
    private final Map<String, String> arguments;

    /**
     * Creates the repository of a model.
     *
     * @param name the repository name
     * @param uri the {@code hf://} URI; query parameters become model arguments
     */
    public HubRepository(String name, URI uri) {
        this.name = name;
        this.uri = uri;
        this.id = HubModelId.parse(uri);
        this.arguments = CheckpointLocations.queryArguments(uri);
    }

    /**
     * Returns the model id.
     *
     * @return the id
     */
    public HubModelId getModelId() {
        return id;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRemote() {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name;
    }

    /** {@inheritDoc} */
    @Override
    public URI getBaseUri() {
        return uri;
    }

    /** {@inheritDoc} */
    @Override
    public Metadata locate(MRL mrl) {
        Metadata metadata = new Metadata.MatchAllMetadata();
        metadata.setRepositoryUri(URI.create(""));
        metadata.setGroupId(MetalModelZoo.GROUP_ID);
        metadata.setArtifactId(artifactId());
        Artifact artifact = new Artifact();
        artifact.setName(artifactId());
        artifact.setVersion(id.getRevision());
        artifact.setMetadata(metadata);
        Map<String, Object> args = new HashMap<>(CheckpointLocations.defaultArguments());
        args.putAll(arguments);
        artifact.setArguments(args);
        artifact.setFiles(Collections.emptyMap());
        metadata.setArtifacts(Collections.singletonList(artifact));
        return metadata;
    }

    /** {@inheritDoc} */
    @Override
    public Artifact resolve(MRL mrl, Map<String, String> filter) {
        return locate(mrl).getArtifacts().get(0);
    }

    /** {@inheritDoc} */
    @Override
    public InputStream openStream(Artifact.Item item, String path) throws IOException {
        return Files.newInputStream(getFile(item, path));
    }

    /** {@inheritDoc} */
    @Override
    public Path getFile(Artifact.Item item, String path) {
        return modelDirectory().resolve(item.getName()).resolve(path);
    }

    /** {@inheritDoc} */
    @Override
    public String[] listDirectory(Artifact.Item item, String path) throws IOException {
        try (var stream = Files.list(getFile(item, path))) {
            return stream.map(p -> p.getFileName().toString()).toArray(String[]::new);
        }
    }

    /**
     * Downloads the model into the cache unless it is complete there. In offline mode, checks that
     * the cache holds the model.
     *
     * @param artifact the artifact
     * @param progress the progress to report to, or {@code null} for a console progress bar
     * @throws IOException when the model is not cached in offline mode, or a download fails
     */
    @Override
    public void prepare(Artifact artifact, Progress progress) throws IOException {
        Path dir = modelDirectory();
        if (HubDownloader.isComplete(dir)) {
            return;
        }
        if (Utils.isOfflineMode()) {
            throw new FileNotFoundException(
                    "DJL is in offline mode (ai.djl.offline=true) and "
                            + id
                            + " is not in the cache at "
                            + dir
                            + "; download it once online or point optModelPath at a local copy");
        }
        String endpoint = Utils.getEnvOrSystemProperty("HF_ENDPOINT", DEFAULT_ENDPOINT);
        String token = Utils.getEnvOrSystemProperty("HF_TOKEN");
        Progress bar = progress != null ? progress : new ProgressBar();
        new HubDownloader(endpoint, token, bar).download(id, dir);
    }

    /** {@inheritDoc} */
    @Override
    public Path getCacheDirectory() {
        return Utils.getCacheDir().resolve("hf");
    }

    /** {@inheritDoc} */
    @Override
    public Path getResourceDirectory(Artifact artifact) {
        return modelDirectory();
    }

    /**
     * Returns the cache directory of this model and revision.
     *
     * @return {@code Utils.getCacheDir()/hf/org/name/revision}
     */
    public Path modelDirectory() {
        String revision = id.getRevision().replace('/', '_');
        return getCacheDirectory().resolve(id.getRepo()).resolve(revision);
    }

    /** {@inheritDoc} */
    @Override
    public List<MRL> getResources() {
        return Collections.singletonList(
                MRL.model(
                        this,
                        Application.NLP.TEXT_GENERATION,
                        MetalModelZoo.GROUP_ID,
                        artifactId(),
                        null,
                        null));
    }

    /** {@inheritDoc} */
    @Override
    public void addResource(MRL mrl) {
        throw new UnsupportedOperationException("A Hugging Face repository holds one model");
    }

    private String artifactId() {
        String repo = id.getRepo();
        return repo.substring(repo.indexOf('/') + 1);
    }
}
