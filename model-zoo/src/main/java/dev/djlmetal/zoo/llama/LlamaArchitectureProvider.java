package dev.djlmetal.zoo.llama;

import com.google.gson.JsonObject;
import dev.djlmetal.engine.spi.ArchitectureProvider;
import dev.djlmetal.engine.spi.ModelArchitecture;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Registers the Llama family ({@code llama}, {@code mistral}, {@code qwen2}) with the Metal
 * engine's architecture SPI.
 */
public final class LlamaArchitectureProvider implements ArchitectureProvider {

    /** Creates the provider (found by {@link java.util.ServiceLoader}). */
    public LlamaArchitectureProvider() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return new LinkedHashSet<>(LlamaConfig.SUPPORTED_MODEL_TYPES);
    }

    /** {@inheritDoc} */
    @Override
    public ModelArchitecture create(JsonObject config) {
        return new LlamaArchitecture(LlamaConfig.fromJson(config));
    }
}
