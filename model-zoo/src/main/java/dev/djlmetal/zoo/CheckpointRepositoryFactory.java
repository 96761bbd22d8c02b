package dev.djlmetal.zoo;

import ai.djl.repository.LocalRepository;
import ai.djl.repository.Metadata;
import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import ai.djl.repository.SimpleRepository;
import ai.djl.util.JsonUtils;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The {@code file} scheme with checkpoint directories recognized, registered through {@code
 * META-INF/services/ai.djl.repository.RepositoryFactory}.
 *
 * <p>DJL chooses the translator factory before loading a model, from {@code
 * Criteria.optTranslatorFactory} or the artifact's {@code translatorFactory} argument. For a
 * directory holding {@code config.json} and safetensors weights this factory returns DJL's own
 * {@link SimpleRepository} with that argument set to {@code MetalTranslatorFactory} (unless the URI
 * already sets it), so that {@code Criteria<String, String>} with {@code optModelPath(dir)} needs
 * no translator. Any other location gets exactly what DJL's built-in {@code file} factory returns:
 * a {@link LocalRepository} for a tree of {@code metadata.json} files, else a {@link
 * SimpleRepository}.
 */
public final class CheckpointRepositoryFactory implements RepositoryFactory {

    /** {@inheritDoc} */
    @Override
    public Repository newInstance(String name, URI uri) {
        String uriPath = uri.getPath() != null ? uri.getPath() : uri.getSchemeSpecificPart();
        if (uriPath.startsWith("/") && System.getProperty("os.name").startsWith("Win")) {
            uriPath = uriPath.substring(1);
        }
        Path path = Paths.get(uriPath);
        if (Files.isDirectory(path) && hasNestedMetadata(path)) {
            return new DjlLocalRepository(name, uri, path);
        }
        URI effective = uri;
        Map<String, String> query = CheckpointLocations.queryArguments(uri);
        if (CheckpointLocations.isCheckpoint(path)
                && !query.containsKey(CheckpointLocations.TRANSLATOR_FACTORY)) {
            effective = withArguments(uri, CheckpointLocations.defaultArguments());
        }
        return new DjlSimpleRepository(name, effective, path);
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> getSupportedScheme() {
        return Collections.singleton("file");
    }

    private static URI withArguments(URI uri, Map<String, String> arguments) {
        StringBuilder query = new StringBuilder();
        if (uri.getRawQuery() != null && !uri.getRawQuery().isEmpty()) {
            query.append(uri.getRawQuery());
        }
        for (Map.Entry<String, String> e : arguments.entrySet()) {
            if (query.length() > 0) {
                query.append('&');
            }
            query.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8))
                    .append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
        }
        String text = uri.toString();
        int q = text.indexOf('?');
        String base = q >= 0 ? text.substring(0, q) : text;
        return URI.create(base + '?' + query);
    }

    /** The rule of DJL's built-in factory: a {@code metadata.json} below the root. */
    private static boolean hasNestedMetadata(Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            return files.anyMatch(f -> isMetadataFile(root, f));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isMetadataFile(Path root, Path file) {
        if (!Files.isRegularFile(file)
                || root.equals(file.getParent())
                || !"metadata.json".equals(file.getFileName().toString())) {
            return false;
        }
        try (Reader reader = Files.newBufferedReader(file)) {
            Metadata metadata = JsonUtils.GSON.fromJson(reader, Metadata.class);
            return metadata.getMetadataVersion() != null && metadata.getArtifacts() != null;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** DJL's simple repository (its constructor is protected). */
    private static final class DjlSimpleRepository extends SimpleRepository {

        DjlSimpleRepository(String name, URI uri, Path path) {
            super(name, uri, path);
        }
    }

    /** DJL's local repository (its constructor is protected). */
    private static final class DjlLocalRepository extends LocalRepository {

        DjlLocalRepository(String name, URI uri, Path path) {
            super(name, uri, path);
        }
    }
}
