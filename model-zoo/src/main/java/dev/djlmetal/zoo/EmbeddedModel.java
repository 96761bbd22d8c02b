package dev.djlmetal.zoo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The model embedded in this module: {@code story-llama}, a 1M-parameter Llama trained by the
 * project on stories of its own grammar, packed as the classpath resource {@value #RESOURCE}. It is
 * the default model of {@link MetalModelZoo}:
 *
 * <pre>
 * Criteria.builder()
 *         .setTypes(String.class, String.class)
 *         .optEngine("Metal")
 *         .optOption("bits", "4")
 *         .build();
 * </pre>
 *
 * <p>loads it when no other location is given ({@code optArtifactId("story-llama")} selects it
 * explicitly).
 */
public final class EmbeddedModel {

    /** The artifact id of the embedded model. */
    public static final String ARTIFACT_ID = "story-llama";

    /** The classpath folder of the embedded model. */
    public static final String RESOURCE = "dev/djlmetal/zoo/models/story-llama/";

    private static final List<String> REQUIRED =
            List.of("config.json", "model.safetensors", "tokenizer.json");
    private static final List<String> OPTIONAL =
            List.of("tokenizer_config.json", "generation_config.json");

    private EmbeddedModel() {}

    /**
     * Returns the embedded checkpoint, read with this module's class loader.
     *
     * @return the checkpoint (which may be absent from a build that did not package it)
     */
    public static ClasspathCheckpoint checkpoint() {
        return new ClasspathCheckpoint(
                RESOURCE, ARTIFACT_ID, REQUIRED, OPTIONAL, EmbeddedModel.class.getClassLoader());
    }

    /**
     * Returns the directory of the embedded checkpoint in DJL's cache, copying it there on first
     * use (see {@link ClasspathModelRepository}).
     *
     * @return the checkpoint directory
     * @throws IOException when the resource is missing or the cache cannot be written
     */
    public static Path directory() throws IOException {
        ClasspathCheckpoint checkpoint = checkpoint();
        return new ClasspathModelRepository(ARTIFACT_ID, checkpoint).getResourceDirectory(null);
    }

    /**
     * Returns whether the embedded model is on the classpath.
     *
     * @return {@code true} when it can be loaded
     */
    public static boolean isAvailable() {
        return checkpoint().isPresent();
    }
}
