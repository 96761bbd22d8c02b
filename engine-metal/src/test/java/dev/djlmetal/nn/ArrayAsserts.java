package dev.djlmetal.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.ReferenceQuantizer;
import dev.djlmetal.testing.FloatErrorBounds;

/** Element-wise comparisons of NDArrays with tolerances. */
public final class ArrayAsserts {

    private ArrayAsserts() {}

    /**
     * Asserts equal shapes and {@code |a - e| <= atol + rtol * |e|} everywhere.
     *
     * @param expected the expected values
     * @param actual the actual array (any float type)
     * @param atol absolute tolerance
     * @param rtol relative tolerance
     */
    public static void assertClose(NDArray expected, NDArray actual, double atol, double rtol) {
        Shape es = expected.getShape();
        assertArrayEquals(es.getShape(), actual.getShape().getShape(), "shape");
        float[] e = expected.toType(DataType.FLOAT32, true).toFloatArray();
        float[] a = actual.toType(DataType.FLOAT32, true).toFloatArray();
        assertClose(e, a, atol, rtol);
    }

    /**
     * Asserts {@code |a - e| <= atol + rtol * |e|} element-wise.
     *
     * @param e the expected values
     * @param a the actual values
     * @param atol absolute tolerance
     * @param rtol relative tolerance
     */
    public static void assertClose(float[] e, float[] a, double atol, double rtol) {
        if (e.length != a.length) {
            fail("length " + a.length + " != expected " + e.length);
        }
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]))) {
                fail("element " + i + ": " + a[i] + " != expected " + e[i]);
            }
        }
    }

    /**
     * Asserts that two evaluations of {@code x @ W^T + bias} agree within the float32 rounding
     * bound of the computation: for each output, {@code 2 * gamma(K + 2)} times {@code sum_k |x_k|
     * m_k + |bias|}, where {@code m} bounds the weight's terms (for a quantized weight, {@code
     * |code * scale| + |bias|}; see {@link PlainQuantizedMatrix#affineMagnitudes()}), plus, when
     * the actual values are half precision, the rounding of the product and of the sum with the
     * bias to FLOAT16.
     *
     * @param expected the first evaluation, {@code [m, n]}
     * @param actual the second evaluation (any float type), the same shape
     * @param x the activations, {@code [m, k]}
     * @param magnitudes the weight's term magnitudes, {@code [n, k]}
     * @param bias the additive bias ({@code n}), or null
     */
    public static void assertProductClose(
            NDArray expected, NDArray actual, NDArray x, float[] magnitudes, NDArray bias) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), "shape");
        boolean half = actual.getDataType() == DataType.FLOAT16;
        float[] e = expected.toType(DataType.FLOAT32, true).toFloatArray();
        float[] a = actual.toType(DataType.FLOAT32, true).toFloatArray();
        float[] in = x.toType(DataType.FLOAT32, true).toFloatArray();
        float[] b = bias == null ? null : bias.toType(DataType.FLOAT32, true).toFloatArray();
        int k = (int) x.getShape().get(x.getShape().dimension() - 1);
        int n = magnitudes.length / k;
        int m = in.length / k;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double magnitude = b == null ? 0 : Math.abs(b[j]);
                for (int c = 0; c < k; c++) {
                    magnitude += Math.abs(in[i * k + c]) * magnitudes[j * k + c];
                }
                double bound = FloatErrorBounds.twoOrders(k + 2, magnitude);
                int index = i * n + j;
                if (half) {
                    // the product is rounded to FLOAT16, then the bias is added in FLOAT16
                    double biasMagnitude = b == null ? 0 : Math.abs(b[j]);
                    double product = Math.abs(e[index]) + biasMagnitude + bound;
                    bound +=
                            FloatErrorBounds.toHalf(product)
                                    + (b == null ? 0 : FloatErrorBounds.toHalf(product));
                }
                if (!(Math.abs(a[index] - e[index]) <= bound)) {
                    fail(
                            "element ["
                                    + i
                                    + ", "
                                    + j
                                    + "]: "
                                    + a[index]
                                    + " != expected "
                                    + e[index]
                                    + " within the rounding bound "
                                    + bound);
                }
            }
        }
    }

    /**
     * Returns {@code |code * scale| + |bias|} per element of a quantized matrix, the magnitudes
     * {@link #assertProductClose} takes.
     *
     * @param q the quantized matrix
     * @return {@code rows * columns} magnitudes, row-major
     */
    public static float[] affineMagnitudes(ReferenceQuantizer.Result q) {
        int[] codes = q.codes();
        float[] scales = q.scales();
        float[] biases = q.biases();
        float[] out = new float[codes.length];
        for (int i = 0; i < out.length; i++) {
            int g = i / q.groupSize();
            out[i] = Math.abs(codes[i] * scales[g]) + Math.abs(biases[g]);
        }
        return out;
    }
}
