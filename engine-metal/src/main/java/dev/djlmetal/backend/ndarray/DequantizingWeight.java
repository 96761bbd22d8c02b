package dev.djlmetal.backend.ndarray;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.quant.QuantizedTensor;

/**
 * A prepared weight that dequantizes on every product and frees the dequantized copy before
 * returning: no memory beyond the packed tensor, a full dequantization per call.
 */
final class DequantizingWeight implements PreparedWeight {

    private final QuantizedTensor weight;

    DequantizingWeight(QuantizedTensor weight) {
        this.weight = weight;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray apply(NDArray x) {
        FloatProducts.checkInput(x, weight);
        try (NDScope scope = new NDScope()) {
            NDArray y = FloatProducts.multiply(x, FloatProducts.dequantizeFloat32(weight));
            y.attach(x.getManager());
            NDScope.unregister(y);
            scope.suppressNotUsedWarning();
            return y;
        }
    }

    /** {@inheritDoc} */
    @Override
    public long extraResidentBytes() {
        return 0;
    }

    /** Holds nothing beyond the quantized tensor: nothing to release. */
    @Override
    public void close() {}
}
