package dev.djlmetal.engine.loading;

import dev.djlmetal.quant.MetalConfig;
import dev.djlmetal.quant.QuantSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a checkpoint holds, checked against its config and the model architecture: the format, the
 * quantization configuration and the spec of every pre-quantized module.
 */
public final class CheckpointLayout {

    private final CheckpointFormat format;
    private final MetalConfig quantization;
    private final Map<String, QuantSpec> quantizedModules;

    CheckpointLayout(
            CheckpointFormat format,
            MetalConfig quantization,
            Map<String, QuantSpec> quantizedModules) {
        this.format = format;
        this.quantization = quantization;
        this.quantizedModules = Collections.unmodifiableMap(new LinkedHashMap<>(quantizedModules));
    }

    /**
     * Returns the detected format.
     *
     * @return the format
     */
    public CheckpointFormat getFormat() {
        return format;
    }

    /**
     * Returns the quantization configuration read from config.json.
     *
     * @return the configuration, or null for float checkpoints
     */
    public MetalConfig getQuantization() {
        return quantization;
    }

    /**
     * Returns the pre-quantized modules and their specs.
     *
     * @return module path to spec, in checkpoint order
     */
    public Map<String, QuantSpec> getQuantizedModules() {
        return quantizedModules;
    }

    /**
     * Returns whether a tensor is the packed weight of a pre-quantized module.
     *
     * @param tensorName the tensor name
     * @return true for {@code <m>.weight} of a quantized module {@code m}
     */
    public boolean isPackedWeight(String tensorName) {
        return tensorName.endsWith(".weight") && quantizedModules.containsKey(module(tensorName));
    }

    static String module(String tensorName) {
        int dot = tensorName.lastIndexOf('.');
        return dot < 0 ? "" : tensorName.substring(0, dot);
    }
}
