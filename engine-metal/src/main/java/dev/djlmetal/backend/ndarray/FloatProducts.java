package dev.djlmetal.backend.ndarray;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.djlmetal.quant.AffineQuantizer;
import dev.djlmetal.quant.QuantizedTensor;

/** The float arithmetic shared by the portable prepared weights. */
final class FloatProducts {

    private FloatProducts() {}

    /**
     * Checks that {@code x} is {@code [..., K]} in a float type.
     *
     * @param x the activations
     * @param weight the quantized weight {@code [N, K]}
     * @throws IllegalArgumentException naming the expected K or the allowed data types
     */
    static void checkInput(NDArray x, QuantizedTensor weight) {
        Shape shape = x.getShape();
        long k = weight.columns();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != k) {
            throw new IllegalArgumentException(
                    "Input "
                            + shape
                            + " does not match the quantized weight "
                            + weight.logicalShape()
                            + ": the last dimension must be in_features="
                            + k);
        }
        if (!x.getDataType().isFloating()) {
            throw new IllegalArgumentException(
                    "Input data type "
                            + x.getDataType().name()
                            + " is not allowed; use FLOAT32 or FLOAT16");
        }
    }

    /**
     * Dequantizes a weight to FLOAT32 {@code [N, K]}, attached where {@link AffineQuantizer} puts
     * it.
     *
     * @param weight the quantized weight
     * @return the FLOAT32 weight
     */
    static NDArray dequantizeFloat32(QuantizedTensor weight) {
        NDArray w = AffineQuantizer.dequantize(weight);
        if (w.getDataType() == DataType.FLOAT32) {
            return w;
        }
        NDArray w32 = w.toType(DataType.FLOAT32, false);
        w.close();
        return w32;
    }

    /**
     * Computes {@code x @ w^T} in FLOAT32 and returns it in the data type of {@code x}.
     *
     * @param x the activations {@code [..., K]}
     * @param w32 the FLOAT32 weight {@code [N, K]}
     * @return {@code [..., N]} attached to the manager of {@code x}; temporaries are left to the
     *     caller's scope
     */
    static NDArray multiply(NDArray x, NDArray w32) {
        DataType type = x.getDataType();
        NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray y = Linear.linear(x32, w32).singletonOrThrow();
        return type == DataType.FLOAT32 ? y : y.toType(type, false);
    }
}
