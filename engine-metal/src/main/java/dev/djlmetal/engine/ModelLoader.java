package dev.djlmetal.engine;

import ai.djl.MalformedModelException;
import dev.djlmetal.quant.MetalConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds the block of a {@link MetalModel} from a checkpoint directory. The engine knows no model
 * architecture: implementations (the model-zoo module) are found with {@link
 * java.util.ServiceLoader} ({@code META-INF/services/dev.djlmetal.engine.ModelLoader}).
 */
public interface ModelLoader {

    /**
     * Loads a checkpoint into the model: sets its block ({@link MetalModel#setBlock}), and records
     * the effective configuration, the backend and the quantization report on it.
     *
     * @param model the model to fill; its manager and device are set
     * @param modelDir the checkpoint directory (config.json, safetensors files)
     * @param options all options given to {@code Model.load}, unknown ones included: the loader
     *     rejects options that no layer understands
     * @param config the configuration parsed from {@code options} by {@link
     *     MetalConfig#fromOptions(Map)}
     * @throws IOException when the checkpoint cannot be read
     * @throws MalformedModelException when the checkpoint is invalid or unsupported
     */
    void load(MetalModel model, Path modelDir, Map<String, ?> options, MetalConfig config)
            throws IOException, MalformedModelException;
}
