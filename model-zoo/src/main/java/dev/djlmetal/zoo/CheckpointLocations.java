package dev.djlmetal.zoo;

import dev.djlmetal.zoo.generate.MetalTranslatorFactory;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** What makes a location a Hugging Face style checkpoint, and the arguments such models get. */
final class CheckpointLocations {

    /** The DJL model argument naming the translator factory. */
    static final String TRANSLATOR_FACTORY = "translatorFactory";

    private CheckpointLocations() {}

    /**
     * Returns whether a directory holds a checkpoint: {@code config.json} and safetensors weights
     * (a single file, shards or a shard index).
     *
     * @param dir the directory
     * @return {@code true} for a checkpoint directory
     */
    static boolean isCheckpoint(Path dir) {
        if (!Files.isDirectory(dir) || !Files.isRegularFile(dir.resolve("config.json"))) {
            return false;
        }
        if (Files.isRegularFile(dir.resolve(HubDownloader.INDEX))) {
            return true;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.safetensors")) {
            return files.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Returns the arguments every checkpoint gets unless the user sets them: the translator factory
     * of {@code Criteria<String, String>} and {@code Criteria<NDList, NDList>}.
     *
     * @return the default arguments
     */
    static Map<String, String> defaultArguments() {
        Map<String, String> args = new HashMap<>();
        args.put(TRANSLATOR_FACTORY, MetalTranslatorFactory.class.getName());
        return args;
    }

    /**
     * Parses the query of a URI into arguments, as DJL's repositories do.
     *
     * @param uri the URI
     * @return the arguments
     */
    static Map<String, String> queryArguments(URI uri) {
        Map<String, String> args = new HashMap<>();
        String query = uri.getRawQuery();
        if (query == null || query.isEmpty()) {
            return args;
        }
        for (String pair : query.split("&")) {
            String[] kv = pair.split("=", 2);
            String key = URLDecoder.decode(kv[0], StandardCharsets.UTF_8);
            String value = kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "";
            args.put(key, value);
        }
        return args;
    }
}
