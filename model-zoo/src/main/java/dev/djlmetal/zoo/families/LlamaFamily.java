package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.engine.spi.ArchitectureProvider;
import dev.djlmetal.engine.spi.ModelArchitecture;
import dev.djlmetal.zoo.decoder.DecoderArchitecture;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Registers the Llama family ({@code llama}, {@code mistral}, {@code qwen2}) with the Metal
 * engine's architecture SPI.
 */
public final class LlamaFamily implements ArchitectureProvider {

    /** Creates the provider (found by {@link java.util.ServiceLoader}). */
    public LlamaFamily() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return new LinkedHashSet<>(DecoderConfig.SUPPORTED_MODEL_TYPES);
    }

    /** {@inheritDoc} */
    @Override
    public ModelArchitecture create(JsonObject config) {
        return new DecoderArchitecture(DecoderConfig.fromJson(config));
    }
}
