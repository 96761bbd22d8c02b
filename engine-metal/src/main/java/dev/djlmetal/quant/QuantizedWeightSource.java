package dev.djlmetal.quant;

import java.util.Optional;

/**
 * Supplies weights that are already quantized (read from a checkpoint) to {@link MetalQuantizer},
 * by module path. A module with a tensor here is converted with that tensor instead of quantizing
 * its float weight.
 */
@FunctionalInterface
public interface QuantizedWeightSource {

    /**
     * Returns a source without any pre-quantized tensor: every module is quantized on the fly.
     *
     * @return the empty source
     */
    static QuantizedWeightSource none() {
        return path -> Optional.empty();
    }

    /**
     * Returns the pre-quantized weight of a module. The tensor's ownership passes to the quantized
     * block that receives it.
     *
     * @param modulePath the dotted module path as in {@link MetalQuantizer#modulePaths}
     * @return the tensor, or empty when the module has none
     */
    Optional<QuantizedTensor> find(String modulePath);
}
