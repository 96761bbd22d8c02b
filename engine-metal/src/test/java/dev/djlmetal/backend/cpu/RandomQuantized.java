package dev.djlmetal.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.Random;

/**
 * Random quantized matrices for the cpu backend tests: random codes packed bit by bit (an
 * independent, deliberately naive packer), random scales and biases, and a double-precision
 * reference product.
 */
final class RandomQuantized {

    final int rows;
    final int columns;
    final int bits;
    final int groupSize;
    final int[][] codes;
    final float[] scales;
    final float[] biases;
    final int[] packed;

    RandomQuantized(int rows, int columns, int bits, int groupSize, long seed) {
        this.rows = rows;
        this.columns = columns;
        this.bits = bits;
        this.groupSize = groupSize;
        Random random = new Random(seed);
        codes = new int[rows][columns];
        int groups = columns / groupSize;
        scales = new float[rows * groups];
        biases = new float[rows * groups];
        for (int n = 0; n < rows; n++) {
            for (int k = 0; k < columns; k++) {
                codes[n][k] = random.nextInt(1 << bits);
            }
        }
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (random.nextFloat() * 0.1f + 0.01f) * (random.nextBoolean() ? 1 : -1);
            biases[i] = random.nextFloat() - 0.5f;
        }
        packed = pack(codes, bits);
    }

    /** Packs codes as one LSB-first bit stream per row, one bit at a time. */
    static int[] pack(int[][] codes, int bits) {
        int rows = codes.length;
        int words = codes[0].length * bits / 32;
        int[] out = new int[rows * words];
        for (int n = 0; n < rows; n++) {
            for (int k = 0; k < codes[n].length; k++) {
                for (int b = 0; b < bits; b++) {
                    if ((codes[n][k] >> b & 1) != 0) {
                        long bit = (long) k * bits + b;
                        out[n * words + (int) (bit / 32)] |= 1 << (bit % 32);
                    }
                }
            }
        }
        return out;
    }

    /** Rounds the scales and biases to FLOAT16 in place, as a FLOAT16 tensor would hold them. */
    void roundScalesToHalf(NDManager manager) {
        float[] s =
                manager.create(scales)
                        .toType(DataType.FLOAT16, false)
                        .toType(DataType.FLOAT32, false)
                        .toFloatArray();
        float[] b =
                manager.create(biases)
                        .toType(DataType.FLOAT16, false)
                        .toType(DataType.FLOAT32, false)
                        .toFloatArray();
        System.arraycopy(s, 0, scales, 0, s.length);
        System.arraycopy(b, 0, biases, 0, b.length);
    }

    /** Returns the dequantized weight, computed in float as the format defines it. */
    float weight(int n, int k) {
        int g = n * (columns / groupSize) + k / groupSize;
        return codes[n][k] * scales[g] + biases[g];
    }

    /** Builds the quantized tensor with scales and biases of the given type. */
    QuantizedTensor toTensor(NDManager manager, DataType scaleType) {
        int groups = columns / groupSize;
        NDArray p = manager.create(packed, new Shape(rows, columns * bits / 32));
        NDArray s = manager.create(scales, new Shape(rows, groups)).toType(scaleType, false);
        NDArray b = manager.create(biases, new Shape(rows, groups)).toType(scaleType, false);
        return new QuantizedTensor(p, s, b, bits, groupSize);
    }

    /** Returns random activations {@code [m, K]}, standard normal. */
    float[] activations(int m, long seed) {
        Random random = new Random(seed);
        float[] x = new float[m * columns];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /**
     * Returns {@code x @ W^T} in double precision, and in {@code magnitude} the sums {@code sum_k
     * (|code * scale| + |bias|) |x_k|} that scale its float rounding error (see {@link
     * dev.djlmetal.testing.FloatErrorBounds#affineProduct}).
     */
    double[] reference(float[] x, int m, double[] magnitude) {
        double[] out = new double[m * rows];
        int groups = columns / groupSize;
        for (int i = 0; i < m; i++) {
            for (int n = 0; n < rows; n++) {
                double dot = 0;
                double abs = 0;
                for (int k = 0; k < columns; k++) {
                    double xk = x[i * columns + k];
                    int g = n * groups + k / groupSize;
                    dot += xk * weight(n, k);
                    abs +=
                            (Math.abs((double) codes[n][k] * scales[g]) + Math.abs(biases[g]))
                                    * Math.abs(xk);
                }
                out[i * rows + n] = dot;
                magnitude[i * rows + n] = abs;
            }
        }
        return out;
    }
}
