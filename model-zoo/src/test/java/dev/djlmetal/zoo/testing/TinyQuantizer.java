package dev.djlmetal.zoo.testing;

/**
 * A compact, test-side implementation of MLX affine group quantization (quantize, pack the codes
 * LSB-first into uint32 words, dequantize), written from the format description independently of
 * the project's quantizer so that fixtures do not depend on the code under test.
 */
public final class TinyQuantizer {

    /** One quantized matrix: packed codes, scales and biases. */
    public static final class Quantized {
        /** The packed codes, {@code [rows, cols * bits / 32]} uint32 bits in ints. */
        public final int[] packed;

        /** The scales, {@code [rows, cols / groupSize]}. */
        public final float[] scales;

        /** The biases, {@code [rows, cols / groupSize]}. */
        public final float[] biases;

        Quantized(int[] packed, float[] scales, float[] biases) {
            this.packed = packed;
            this.scales = scales;
            this.biases = biases;
        }
    }

    private TinyQuantizer() {}

    /**
     * Quantizes a row-major matrix with MLX's algorithm (float32 arithmetic, round half to even).
     *
     * @param w the matrix
     * @param rows the rows N
     * @param cols the columns K, divisible by the group size
     * @param bits the code width
     * @param groupSize the group size
     * @return the quantized matrix
     */
    public static Quantized quantize(float[] w, int rows, int cols, int bits, int groupSize) {
        int groups = cols / groupSize;
        float nBins = (1 << bits) - 1;
        int[] codes = new int[rows * cols];
        float[] scales = new float[rows * groups];
        float[] biases = new float[rows * groups];
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < groups; g++) {
                int start = r * cols + g * groupSize;
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < groupSize; i++) {
                    min = Math.min(min, w[start + i]);
                    max = Math.max(max, w[start + i]);
                }
                float scale = Math.max((max - min) / nBins, 1e-7f);
                boolean side = Math.abs(min) > Math.abs(max);
                scale = side ? scale : -scale;
                float edge = side ? min : max;
                float q0 = (float) Math.rint(edge / scale);
                float bias = 0;
                if (q0 != 0) {
                    scale = edge / q0;
                    bias = edge;
                }
                for (int i = 0; i < groupSize; i++) {
                    float q = (float) Math.rint((w[start + i] - bias) / scale);
                    codes[start + i] = (int) Math.max(0, Math.min(nBins, q));
                }
                scales[r * groups + g] = scale;
                biases[r * groups + g] = bias;
            }
        }
        return new Quantized(pack(codes, rows, cols, bits), scales, biases);
    }

    /**
     * Packs codes row by row into little-endian, LSB-first uint32 words.
     *
     * @param codes the codes, row-major
     * @param rows the rows
     * @param cols the columns
     * @param bits the code width
     * @return the words, {@code cols * bits / 32} per row
     */
    public static int[] pack(int[] codes, int rows, int cols, int bits) {
        int words = cols * bits / 32;
        int[] out = new int[rows * words];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                long code = codes[r * cols + k];
                int bit = k * bits;
                int word = r * words + bit / 32;
                int shift = bit % 32;
                out[word] |= (int) (code << shift);
                if (shift + bits > 32) {
                    out[word + 1] |= (int) (code >>> (32 - shift));
                }
            }
        }
        return out;
    }

    /**
     * Dequantizes: {@code q * scale + bias} in float32.
     *
     * @param q the quantized matrix
     * @param rows the rows
     * @param cols the columns
     * @param bits the code width
     * @param groupSize the group size
     * @return the row-major float matrix
     */
    public static float[] dequantize(Quantized q, int rows, int cols, int bits, int groupSize) {
        int words = cols * bits / 32;
        int groups = cols / groupSize;
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                int bit = k * bits;
                long lo = q.packed[r * words + bit / 32] & 0xFFFFFFFFL;
                long hi =
                        bit / 32 + 1 < words ? q.packed[r * words + bit / 32 + 1] & 0xFFFFFFFFL : 0;
                long code = ((lo | (hi << 32)) >>> (bit % 32)) & ((1L << bits) - 1);
                int g = r * groups + k / groupSize;
                out[r * cols + k] = code * q.scales[g] + q.biases[g];
            }
        }
        return out;
    }
}
