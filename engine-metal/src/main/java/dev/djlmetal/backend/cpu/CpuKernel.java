package dev.djlmetal.backend.cpu;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The inner loops of the cpu backend for one instruction set (scalar Java or the Vector API).
 *
 * <p>A kernel may reorder the K dimension inside each quantization group to match how it decodes
 * packed words (for example lane-interleaved codes); it applies the same order to the activations
 * in {@link #layoutActivations}, which leaves every dot product unchanged. Kernels are stateless
 * and thread-safe; the caller splits output rows across threads.
 */
abstract class CpuKernel {

    /** Returns a short name for logs and benchmark tables. */
    abstract String name();

    /**
     * Copies {@code m} activation rows of length {@code K} into the kernel's heap layout.
     *
     * @param x the activations, row-major {@code [m, K]}
     * @param m the number of rows
     * @param w the weight the activations will be multiplied with
     * @return {@code m * laidColumns(w)} floats, each group's elements permuted as the kernel
     *     decodes them
     */
    final float[] layoutActivations(FloatBuffer x, int m, PackedMatrix w) {
        float[] laid = new float[m * laidColumns(w)];
        layoutActivations(x, m, w, laid);
        return laid;
    }

    /**
     * Returns the length of one activation row (and one dequantized weight row) in the kernel's
     * layout: {@code K}, or more when the kernel pads rows to whole vector steps with zeros.
     *
     * @param w the weight
     * @return at least {@code K}
     */
    int laidColumns(PackedMatrix w) {
        return w.columns();
    }

    /**
     * Copies {@code m} activation rows of length {@code K} into the kernel's layout in {@code dst}.
     *
     * @param x the activations, row-major {@code [m, K]}
     * @param m the number of rows
     * @param w the weight the activations will be multiplied with
     * @param dst receives {@code m * laidColumns(w)} floats, each group's elements permuted as the
     *     kernel decodes them (padding zero)
     */
    abstract void layoutActivations(FloatBuffer x, int m, PackedMatrix w, float[] dst);

    /**
     * Matrix-vector product for one activation row: {@code out[n] = sum_g scale[n, g] * dot(x_g,
     * q[n]_g) + bias[n, g] * sum(x_g)} for rows {@code [n0, n1)}.
     *
     * @param w the weight
     * @param x one activation row in the kernel's layout
     * @param groupSums the per-group sums of {@code x}
     * @param out receives {@code N} floats
     * @param n0 the first row
     * @param n1 one past the last row
     */
    abstract void matvec(
            PackedMatrix w, float[] x, float[] groupSums, FloatBuffer out, int n0, int n1);

    /**
     * Dequantizes one weight row ({@code code * scale + bias}) in the kernel's activation layout,
     * so that a plain dot product with a row of {@link #layoutActivations} gives the product.
     *
     * @param w the weight
     * @param row the weight row
     * @param dst receives {@code laidColumns(w)} floats
     * @param dstOffset where the first goes
     */
    abstract void dequantizeRow(PackedMatrix w, int row, float[] dst, int dstOffset);

    /**
     * Returns the granularity, in weight rows, of the chunks the prefill path dequantizes at once.
     *
     * @return the strip height
     */
    int stripRows() {
        return 8;
    }

    /**
     * Lays out activation rows for {@link #matvec} and {@link #smallBatch}. The default is {@link
     * #layoutActivations}; a kernel may also multiply elements by powers of two that its decoding
     * leaves on the codes, which is exact in floating point and leaves every product unchanged.
     *
     * @param x the activations, {@code m * K} floats
     * @param m the number of activation rows
     * @param w the weight the activations will be multiplied with
     * @return {@code m * laidColumns(w)} floats in the kernel's matrix-vector layout
     */
    final float[] matvecActivations(FloatBuffer x, int m, PackedMatrix w) {
        float[] laid = new float[m * laidColumns(w)];
        matvecActivations(x, m, w, laid);
        return laid;
    }

    /**
     * Lays out activation rows for {@link #matvec} and {@link #smallBatch} into {@code dst} (see
     * {@link #matvecActivations(FloatBuffer, int, PackedMatrix)}).
     *
     * @param x the activations, {@code m * K} floats
     * @param m the number of activation rows
     * @param w the weight the activations will be multiplied with
     * @param dst receives {@code m * laidColumns(w)} floats
     */
    void matvecActivations(FloatBuffer x, int m, PackedMatrix w, float[] dst) {
        layoutActivations(x, m, w, dst);
    }

    /**
     * Product for a few activation rows ({@code m} from 2 to about 16) that decodes each packed
     * code once for all of them: {@code out[i, n] = sum_g scale[n, g] * dot(x_ig, q[n]_g) + bias[n,
     * g] * sum(x_ig)} for rows {@code [n0, n1)}. The default runs {@link #matvec} per activation
     * row.
     *
     * @param w the weight
     * @param x {@code m} activation rows from {@link #matvecActivations}
     * @param m the number of activation rows
     * @param groupSums the per-group sums of each row, {@code m * groups}
     * @param out receives {@code m * N} floats, row-major
     * @param n0 the first weight row
     * @param n1 one past the last weight row
     */
    void smallBatch(
            PackedMatrix w, float[] x, int m, float[] groupSums, FloatBuffer out, int n0, int n1) {
        int laid = laidColumns(w);
        int groups = w.groups();
        int rows = w.rows();
        for (int i = 0; i < m; i++) {
            float[] row = Arrays.copyOfRange(x, i * laid, (i + 1) * laid);
            float[] sums = Arrays.copyOfRange(groupSums, i * groups, (i + 1) * groups);
            matvec(w, row, sums, out.slice(i * rows, rows), n0, n1);
        }
    }

    /**
     * Returns the per-group sums of activation rows, in the activations' own order.
     *
     * @param x {@code m} rows of {@code K}
     * @param m the number of rows
     * @param w the weight (for K and the group size)
     * @return {@code m * K / groupSize} sums
     */
    static float[] groupSums(FloatBuffer x, int m, PackedMatrix w) {
        float[] sums = new float[m * w.groups()];
        groupSums(x, m, w, sums);
        return sums;
    }

    /**
     * Writes the per-group sums of activation rows, in the activations' own order, to {@code dst}.
     *
     * @param x {@code m} rows of {@code K}
     * @param m the number of rows
     * @param w the weight (for K and the group size)
     * @param dst receives {@code m * K / groupSize} sums
     */
    static void groupSums(FloatBuffer x, int m, PackedMatrix w, float[] dst) {
        int groupSize = w.groupSize();
        if (x.hasArray()) {
            float[] values = x.array();
            int offset = x.arrayOffset();
            for (int i = 0; i < m * w.groups(); i++) {
                float s = 0;
                int base = offset + i * groupSize;
                for (int k = 0; k < groupSize; k++) {
                    s += values[base + k];
                }
                dst[i] = s;
            }
            return;
        }
        for (int i = 0; i < m * w.groups(); i++) {
            float s = 0;
            int base = i * groupSize;
            for (int k = 0; k < groupSize; k++) {
                s += x.get(base + k);
            }
            dst[i] = s;
        }
    }
}
