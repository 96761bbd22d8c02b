package dev.djlmetal.zoo.decoder;

import com.google.gson.JsonObject;
import dev.djlmetal.engine.loading.CheckpointTensors;
import dev.djlmetal.engine.spi.ArchitectureProvider;
import dev.djlmetal.engine.spi.ModelArchitecture;

/**
 * A family of decoder-only models built from the shared blocks of this package: it reads its {@code
 * config.json} into a {@link DecoderConfig} and, when its checkpoints come in layouts other than
 * the model's own, maps them ({@link #toModelLayout}). Subclasses are registered with the Metal
 * engine through {@code META-INF/services/dev.djlmetal.engine.spi.ArchitectureProvider}.
 *
 * <p>Implementations must be stateless and thread-safe.
 */
public abstract class DecoderFamily implements ArchitectureProvider {

    /** Creates the family. */
    protected DecoderFamily() {}

    /**
     * Reads a {@code config.json} of this family.
     *
     * @param config the parsed config.json, whose {@code model_type} is one of {@link
     *     #modelTypes()}
     * @return the config
     * @throws IllegalArgumentException naming the field, the value and what is supported when the
     *     config is malformed or asks for a feature this project does not implement
     */
    public abstract DecoderConfig readConfig(JsonObject config);

    /**
     * Maps a checkpoint's tensors to the model's names and shapes (see {@link
     * ModelArchitecture#toModelLayout(CheckpointTensors)}); by default they are used as stored.
     *
     * @param config the model config
     * @param tensors the checkpoint's tensors
     * @return a view in the model's layout
     */
    public CheckpointTensors toModelLayout(DecoderConfig config, CheckpointTensors tensors) {
        return tensors;
    }

    /** {@inheritDoc} */
    @Override
    public final ModelArchitecture create(JsonObject config) {
        DecoderConfig decoder = readConfig(config);
        return new DecoderArchitecture(decoder, tensors -> toModelLayout(decoder, tensors));
    }
}
