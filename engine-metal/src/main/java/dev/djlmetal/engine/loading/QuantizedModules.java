package dev.djlmetal.engine.loading;

import ai.djl.Device;
import ai.djl.nn.Block;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.engine.spi.ModelArchitecture;
import dev.djlmetal.quant.MetalConfig;
import dev.djlmetal.quant.MetalQuantizer;
import dev.djlmetal.quant.QuantizationReport;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Puts quantized modules into a loaded block tree with {@link MetalQuantizer}. */
final class QuantizedModules {

    private QuantizedModules() {}

    static LoadedCheckpoint quantizeOnTheFly(
            ModelArchitecture architecture,
            CheckpointFormat format,
            MetalConfig config,
            Device device,
            String what) {
        QuantizationReport report = MetalQuantizer.quantize(architecture.getBlock(), config);
        BackendKind backend = Backends.resolve(config.getBackend(), device);
        String summary =
                "Quantized "
                        + report.getConverted().size()
                        + " modules of the "
                        + what
                        + " on the fly (bits="
                        + config.getBits()
                        + ", group_size="
                        + config.getGroupSize()
                        + ", "
                        + report.getSkipped().size()
                        + " kept in float); "
                        + backendText(config, backend);
        return new LoadedCheckpoint(
                        architecture, format, config, report.getConverted().size(), summary)
                .withBackend(backend, report);
    }

    static LoadedCheckpoint placePreQuantized(
            ModelArchitecture architecture,
            CheckpointFormat format,
            MetalConfig config,
            Map<String, QuantizedTensor> quantized,
            Device device,
            String what) {
        Block root = architecture.getBlock();
        MetalConfig.Builder onlyPreQuantized = config.toBuilder();
        for (String path : MetalQuantizer.modulePaths(root)) {
            if (!quantized.containsKey(path)) {
                onlyPreQuantized.optKeepFloat(path);
            }
        }
        Map<String, QuantizedTensor> pending = new LinkedHashMap<>(quantized);
        QuantizationReport report =
                MetalQuantizer.quantize(
                        root,
                        onlyPreQuantized.build(),
                        path -> Optional.ofNullable(pending.remove(path)));
        if (!pending.isEmpty()) {
            pending.values().forEach(QuantizedTensor::close);
            throw new IllegalStateException(
                    "The quantized tensors of "
                            + pending.keySet()
                            + " in "
                            + what
                            + " match no quantizable module of the model");
        }
        BackendKind backend = Backends.resolve(config.getBackend(), device);
        String summary =
                "Loaded "
                        + quantized.size()
                        + " pre-quantized modules of the "
                        + what
                        + " without re-quantizing; "
                        + backendText(config, backend);
        return new LoadedCheckpoint(architecture, format, config, quantized.size(), summary)
                .withBackend(backend, report);
    }

    private static String backendText(MetalConfig config, BackendKind backend) {
        String text = "they run on backend=" + backend;
        if (config.getBackend() != BackendKind.AUTO) {
            return text + " (as requested)";
        }
        if (backend == BackendKind.METAL) {
            return text + " (native Metal)";
        }
        return text + " (native Metal is not available here)";
    }
}
