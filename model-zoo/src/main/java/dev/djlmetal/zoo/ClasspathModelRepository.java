package dev.djlmetal.zoo;

import ai.djl.Application;
import ai.djl.repository.Artifact;
import ai.djl.repository.MRL;
import ai.djl.repository.Metadata;
import ai.djl.repository.Repository;
import ai.djl.util.Progress;
import ai.djl.util.Utils;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A {@link Repository} holding one checkpoint directory packed as a classpath resource (in a jar or
 * a classes directory), for example the embedded default model of {@link MetalModelZoo}.
 *
 * <p>Files inside a jar cannot be memory-mapped, so {@link #prepare(Artifact, Progress)} copies the
 * files to DJL's cache directory ({@code Utils.getCacheDir()/djlmetal/<artifactId>/<hash>}), keyed
 * by a SHA-256 digest of their content: a new version of the resource lands in a new directory, and
 * an interrupted copy is never used (files are copied into a temporary directory that is renamed
 * when complete).
 */
public final class ClasspathModelRepository implements Repository {

    private final String name;
    private final ClasspathCheckpoint checkpoint;

    /**
     * Creates the repository of a classpath checkpoint.
     *
     * @param name the repository name
     * @param checkpoint the checkpoint resource
     */
    public ClasspathModelRepository(String name, ClasspathCheckpoint checkpoint) {
        this.name = Objects.requireNonNull(name, "name");
        this.checkpoint = Objects.requireNonNull(checkpoint, "checkpoint");
    }

    /**
     * Returns the checkpoint resource of this repository.
     *
     * @return the checkpoint
     */
    public ClasspathCheckpoint getCheckpoint() {
        return checkpoint;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isRemote() {
        return false;
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name;
    }

    /** {@inheritDoc} */
    @Override
    public URI getBaseUri() {
        return URI.create("classpath:/" + checkpoint.getResourceDirectory());
    }

    /** {@inheritDoc} */
    @Override
    public Metadata locate(MRL mrl) {
        Metadata metadata = new Metadata.MatchAllMetadata();
        metadata.setRepositoryUri(URI.create(""));
        metadata.setGroupId(MetalModelZoo.GROUP_ID);
        metadata.setApplication(Application.NLP.TEXT_GENERATION);
        metadata.setArtifactId(checkpoint.getArtifactId());
        Artifact artifact = new Artifact();
        artifact.setName(checkpoint.getArtifactId());
        artifact.setVersion(checkpoint.getVersion());
        artifact.setMetadata(metadata);
        artifact.setArguments(new HashMap<>(CheckpointLocations.defaultArguments()));
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
    public Path getFile(Artifact.Item item, String path) throws IOException {
        return checkpoint.extract(getCacheDirectory()).resolve(item.getName()).resolve(path);
    }

    /** {@inheritDoc} */
    @Override
    public String[] listDirectory(Artifact.Item item, String path) throws IOException {
        try (var stream = Files.list(getFile(item, path))) {
            return stream.map(p -> p.getFileName().toString()).toArray(String[]::new);
        }
    }

    /**
     * Copies the checkpoint to the cache unless a complete copy of this content is there.
     *
     * @param artifact the artifact
     * @param progress ignored: the copy of a few megabytes takes milliseconds
     * @throws IOException when the resource is missing or the cache cannot be written
     */
    @Override
    public void prepare(Artifact artifact, Progress progress) throws IOException {
        checkpoint.extract(getCacheDirectory());
    }

    /** {@inheritDoc} */
    @Override
    public Path getCacheDirectory() {
        return Utils.getCacheDir().resolve("djlmetal");
    }

    /**
     * Returns the cache directory holding the extracted checkpoint, extracting it if needed.
     *
     * @param artifact the artifact
     * @return the checkpoint directory
     * @throws IOException when the resource is missing or the cache cannot be written
     */
    @Override
    public Path getResourceDirectory(Artifact artifact) throws IOException {
        return checkpoint.extract(getCacheDirectory());
    }

    /** {@inheritDoc} */
    @Override
    public List<MRL> getResources() {
        return Collections.singletonList(
                MRL.model(
                        this,
                        Application.NLP.TEXT_GENERATION,
                        MetalModelZoo.GROUP_ID,
                        checkpoint.getArtifactId(),
                        null,
                        null));
    }

    /** {@inheritDoc} */
    @Override
    public void addResource(MRL mrl) {
        throw new UnsupportedOperationException("A classpath model repository holds one model");
    }
}
