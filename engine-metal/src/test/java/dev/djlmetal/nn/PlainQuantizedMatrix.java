package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.Random;

/**
 * A quantized matrix held in plain Java: random codes, scales and biases, packed and dequantized
 * here without any NDArray operation, as an independent reference for the blocks and backends under
 * test.
 */
public final class PlainQuantizedMatrix {

    private final int rows;
    private final int columns;
    private final int bits;
    private final int groupSize;
    private final int[] codes;
    private final float[] scales;
    private final float[] biases;

    private PlainQuantizedMatrix(int rows, int columns, int bits, int groupSize, long seed) {
        this.rows = rows;
        this.columns = columns;
        this.bits = bits;
        this.groupSize = groupSize;
        Random random = new Random(seed);
        codes = new int[rows * columns];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = random.nextInt(1 << bits);
        }
        int groups = rows * columns / groupSize;
        scales = new float[groups];
        biases = new float[groups];
        for (int g = 0; g < groups; g++) {
            // multiples of 2^-12 and 2^-6: exact in FLOAT16 as well as FLOAT32
            scales[g] = (1 + random.nextInt(64)) / 4096f / (1 << bits) * 16;
            biases[g] = (random.nextInt(64) - 32) / 64f;
        }
    }

    /**
     * Creates a random quantized matrix.
     *
     * @param rows N
     * @param columns K
     * @param bits the code width
     * @param groupSize the group size
     * @param seed the random seed
     * @return the matrix
     */
    public static PlainQuantizedMatrix random(
            int rows, int columns, int bits, int groupSize, long seed) {
        return new PlainQuantizedMatrix(rows, columns, bits, groupSize, seed);
    }

    /**
     * Packs the codes of each row into one LSB-first bit stream of 32-bit words.
     *
     * @return the words, row-major {@code [N, K * bits / 32]}
     */
    public int[] packedWords() {
        int wordsPerRow = columns * bits / 32;
        int[] words = new int[rows * wordsPerRow];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                int code = codes[r * columns + c];
                for (int b = 0; b < bits; b++) {
                    if ((code >> b & 1) != 0) {
                        int bit = c * bits + b;
                        words[r * wordsPerRow + bit / 32] |= 1 << (bit % 32);
                    }
                }
            }
        }
        return words;
    }

    /**
     * Returns {@code W[n][k] = q * scale + bias} computed in float32.
     *
     * @return the dequantized matrix, row-major
     */
    public float[] dequantized() {
        float[] out = new float[rows * columns];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                int g = (r * columns + c) / groupSize;
                out[r * columns + c] = codes[r * columns + c] * scales[g] + biases[g];
            }
        }
        return out;
    }

    /**
     * Returns {@code |code * scale| + |bias|} per element: the magnitude that scales the rounding
     * error of any product with this weight (see {@link
     * dev.djlmetal.testing.FloatErrorBounds#affineProduct}).
     *
     * @return {@code rows * columns} magnitudes, row-major
     */
    public float[] affineMagnitudes() {
        float[] out = new float[rows * columns];
        for (int i = 0; i < out.length; i++) {
            int g = i / groupSize;
            out[i] = Math.abs(codes[i] * scales[g]) + Math.abs(biases[g]);
        }
        return out;
    }

    /**
     * Returns the dequantized matrix as a FLOAT32 array.
     *
     * @param manager the manager
     * @return {@code [N, K]}
     */
    public NDArray dequantizedArray(NDManager manager) {
        return manager.create(dequantized(), new Shape(rows, columns));
    }

    /**
     * Creates the quantized tensor.
     *
     * @param manager the manager for the three arrays
     * @param scaleType the data type of the scales and biases
     * @return the tensor
     */
    public QuantizedTensor toTensor(NDManager manager, DataType scaleType) {
        Shape groups = new Shape(rows, columns / groupSize);
        NDArray packed = manager.create(packedWords(), new Shape(rows, columns * bits / 32));
        NDArray s = manager.create(scales, groups).toType(scaleType, false);
        NDArray b = manager.create(biases, groups).toType(scaleType, false);
        return new QuantizedTensor(packed, s, b, bits, groupSize);
    }

    /**
     * Computes {@code x @ W^T} in double precision.
     *
     * @param x row-major {@code [M, K]}
     * @param m M
     * @return row-major {@code [M, N]}
     */
    public float[] matmulTransposed(float[] x, int m) {
        float[] w = dequantized();
        float[] y = new float[m * rows];
        for (int i = 0; i < m; i++) {
            for (int n = 0; n < rows; n++) {
                double acc = 0;
                for (int k = 0; k < columns; k++) {
                    acc += (double) x[i * columns + k] * w[n * columns + k];
                }
                y[i * rows + n] = (float) acc;
            }
        }
        return y;
    }

    /**
     * Returns the number of rows N.
     *
     * @return N
     */
    public int rows() {
        return rows;
    }

    /**
     * Returns the number of columns K.
     *
     * @return K
     */
    public int columns() {
        return columns;
    }
}
