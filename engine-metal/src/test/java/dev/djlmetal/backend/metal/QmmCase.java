package dev.djlmetal.backend.metal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.nn.ArrayAsserts;
import dev.djlmetal.quant.QuantizedTensor;
import dev.djlmetal.quant.ReferenceQuantizer;
import dev.djlmetal.testing.FloatErrorBounds;
import java.util.Random;

/**
 * One {@code affine_qmm_t} check for tests: random weights quantized by {@link ReferenceQuantizer},
 * random activations, the backend's product compared with {@link
 * ReferenceQuantizer#matmulTransposed} within float tolerance.
 */
public final class QmmCase {

    private final int bits;
    private final int groupSize;
    private final DataType activations;
    private final Shape xShape;
    private final int n;

    /**
     * Creates a case.
     *
     * @param bits the code width
     * @param groupSize the group size
     * @param activations FLOAT32 or FLOAT16
     * @param xShape the activation shape {@code [..., K]}
     * @param n the output features
     */
    public QmmCase(int bits, int groupSize, DataType activations, Shape xShape, int n) {
        this.bits = bits;
        this.groupSize = groupSize;
        this.activations = activations;
        this.xShape = xShape;
        this.n = n;
    }

    /**
     * Runs the case on a backend and asserts every output element matches the reference.
     *
     * @param backend the backend under test
     * @param manager the manager for the arrays
     * @param seed the random seed
     */
    public void check(QuantizedMatmul backend, NDManager manager, long seed) {
        int k = (int) xShape.get(xShape.dimension() - 1);
        int m = (int) (xShape.size() / k);
        Random random = new Random(seed);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian() * 0.5f;
        }
        float[] xValues = new float[m * k];
        for (int i = 0; i < xValues.length; i++) {
            xValues[i] = random.nextFloat() * 2 - 1;
        }
        ReferenceQuantizer.Result q = ReferenceQuantizer.quantize(w, n, k, bits, groupSize);
        try (NDManager scope = manager.newSubManager();
                QuantizedTensor weight = q.toTensor(scope, DataType.FLOAT32);
                PreparedWeight prepared = backend.prepare(weight)) {
            NDArray x = scope.create(xValues, xShape).toType(activations, false);
            float[] xUsed = x.toType(DataType.FLOAT32, false).toFloatArray();
            NDArray y = prepared.apply(x);
            Shape expectedShape = xShape.slice(0, xShape.dimension() - 1).add(n);
            assertEquals(expectedShape, y.getShape(), "output shape");
            assertEquals(activations, y.getDataType(), "output data type");
            float[] actual = y.toType(DataType.FLOAT32, false).toFloatArray();
            float[] expected = ReferenceQuantizer.matmulTransposed(xUsed, m, q);
            float[] magnitudes = ArrayAsserts.affineMagnitudes(q);
            // Float32 accumulation in another order (and a float16 output) may differ from the
            // reference by the rounding bound of the computation.
            for (int row = 0; row < m; row++) {
                for (int col = 0; col < n; col++) {
                    double magnitude = 0;
                    for (int i = 0; i < k; i++) {
                        magnitude += Math.abs(xUsed[row * k + i]) * magnitudes[col * k + i];
                    }
                    double bound = FloatErrorBounds.affineProduct(k, magnitude);
                    // the reference rounds each dequantized weight and its double sum to float
                    bound += FloatErrorBounds.FLOAT32_UNIT_ROUNDOFF * magnitude;
                    if (activations == DataType.FLOAT16) {
                        bound += FloatErrorBounds.toHalf(Math.abs(expected[row * n + col]) + bound);
                    }
                    assertEquals(
                            expected[row * n + col],
                            actual[row * n + col],
                            bound,
                            this + ": y[" + row + ", " + col + "]");
                }
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "x"
                + xShape
                + " "
                + activations
                + " W["
                + n
                + ", "
                + xShape.get(xShape.dimension() - 1)
                + "] bits="
                + bits
                + " group_size="
                + groupSize;
    }
}
