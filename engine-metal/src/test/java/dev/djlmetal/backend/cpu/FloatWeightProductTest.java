package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.ReferenceQuantizer;
import dev.djlmetal.testing.FloatErrorBounds;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Products over Java arrays: float weights read in place, and the cpu backend's quantized ones. */
class FloatWeightProductTest {

    @Test
    void floatProductsMatchDoublePrecision() {
        Random random = new Random(5);
        int n = 37;
        int k = 300;
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.create(w, new Shape(n, k));
            FloatWeightProduct product = FloatWeightProduct.of(weight);
            assertEquals(k, product.inFeatures());
            assertEquals(n, product.outFeatures());
            for (int m : new int[] {1, 3}) {
                float[] x = new float[m * k];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                float[] out = new float[m * n + 5];
                product.multiply(x, m, out);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double expected = 0;
                        double magnitude = 0;
                        for (int c = 0; c < k; c++) {
                            expected += (double) x[i * k + c] * w[j * k + c];
                            magnitude += Math.abs((double) x[i * k + c] * w[j * k + c]);
                        }
                        assertEquals(
                                expected,
                                out[i * n + j],
                                FloatErrorBounds.gamma(k) * magnitude,
                                "row " + i + ", output " + j);
                    }
                }
            }
            weight.close();
            assertThrows(
                    IllegalStateException.class,
                    () -> product.multiply(new float[k], 1, new float[n]));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> FloatWeightProduct.of(manager.zeros(new Shape(3, 4), DataType.FLOAT16)));
        }
    }

    @Test
    void quantizedProductsOnArraysMatchTheReference() {
        Random random = new Random(6);
        int n = 40;
        int k = 256;
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        for (int bits : new int[] {3, 4, 8}) {
            ReferenceQuantizer.Result q = ReferenceQuantizer.quantize(w, n, k, bits, 64);
            try (NDManager manager = NDManager.newBaseManager();
                    CpuPreparedWeight weight =
                            new CpuQuantizedMatmul(
                                            CpuQuantizedMatmulTest.kernel(
                                                    CpuKernels.isVectorApiPresent()
                                                            ? "vector"
                                                            : "scalar"))
                                    .prepare(q.toTensor(manager, DataType.FLOAT32))) {
                ArrayProduct product = weight;
                assertEquals(k, product.inFeatures());
                assertEquals(n, product.outFeatures());
                for (int m : new int[] {1, 2, 7}) {
                    float[] x = new float[m * k];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) random.nextGaussian();
                    }
                    float[] out = new float[m * n];
                    product.multiply(x, m, out);
                    float[] expected = ReferenceQuantizer.matmulTransposed(x, m, q);
                    ReferenceAgreementTest.assertWithinBound(
                            q, x, m, expected, out, DataType.FLOAT32, bits + "-bit, M=" + m);
                }
            }
        }
    }
}
