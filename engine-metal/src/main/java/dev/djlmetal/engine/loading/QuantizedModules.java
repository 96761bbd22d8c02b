package dev.djlmetal.engine.loading;

import dev.djlmetal.engine.spi.ModelArchitecture;
import dev.djlmetal.quant.MetalConfig;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.Map;

/** Puts quantized modules into a loaded block tree. */
final class QuantizedModules {

    private QuantizedModules() {}

    static LoadedCheckpoint quantizeOnTheFly(
            ModelArchitecture architecture,
            CheckpointFormat format,
            MetalConfig config,
            String what) {
        throw new IllegalStateException(
                "Quantizing " + what + " on the fly needs MetalQuantizer, not yet available");
    }

    static LoadedCheckpoint placePreQuantized(
            ModelArchitecture architecture,
            CheckpointFormat format,
            MetalConfig config,
            Map<String, QuantizedTensor> quantized,
            String what) {
        throw new IllegalStateException(
                "Running the pre-quantized "
                        + what
                        + " needs MetalQuantizer, not yet available; use dequantize=true");
    }
}
