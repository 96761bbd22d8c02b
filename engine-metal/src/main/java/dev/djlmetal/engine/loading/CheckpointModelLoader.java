package dev.djlmetal.engine.loading;

import ai.djl.MalformedModelException;
import com.google.gson.JsonObject;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.engine.ModelLoader;
import dev.djlmetal.quant.MetalConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The {@link ModelLoader} of {@link MetalModel}: loads a checkpoint directory with {@link
 * CheckpointLoader} and records the block, the effective quantization and the backend on the model.
 * Unknown options fail with an {@link IllegalArgumentException}; an inconsistent checkpoint with a
 * {@link MalformedModelException}.
 *
 * <p>It is registered by the model-zoo module, which also brings the architectures; the engine
 * alone has no loader.
 */
public final class CheckpointModelLoader implements ModelLoader {

    /** Creates the loader (found by {@link java.util.ServiceLoader}). */
    public CheckpointModelLoader() {}

    /** {@inheritDoc} */
    @Override
    public void load(MetalModel model, Path modelDir, Map<String, ?> options, MetalConfig config)
            throws IOException, MalformedModelException {
        LoaderOptions.check(options);
        JsonObject json = CheckpointLoader.readConfig(modelDir);
        LoadedCheckpoint loaded;
        try (SafetensorsTensors tensors = SafetensorsTensors.open(modelDir)) {
            loaded = CheckpointLoader.load(json, tensors, options, model.getNDManager());
        } catch (IllegalArgumentException e) {
            throw new MalformedModelException(e.getMessage(), e);
        }
        model.setBlock(loaded.getBlock());
        if (loaded.getQuantization() != null) {
            model.setConfig(loaded.getQuantization());
        }
        if (loaded.getBackendKind() != null) {
            model.setBackendKind(loaded.getBackendKind());
        }
        if (loaded.getReport() != null) {
            model.setQuantizationReport(loaded.getReport());
        }
    }
}
