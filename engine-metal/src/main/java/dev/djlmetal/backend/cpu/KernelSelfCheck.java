package dev.djlmetal.backend.cpu;

import dev.djlmetal.quant.BitPacking;
import dev.djlmetal.quant.QuantSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * A quick check that a kernel links and computes what the scalar kernel computes, run once before
 * the cpu backend trusts a Vector API kernel: one small product per code width through every entry
 * point (matrix-vector, small batch, row dequantization), with a step-spanning group size and a row
 * length that needs padding at every vector width. It runs in well under a second and turns a
 * missing method of the incubating API into an exception on the calling thread.
 */
final class KernelSelfCheck {

    private static final int ROWS = 3;
    private static final int COLUMNS = 96;
    private static final int GROUP_SIZE = 32;
    private static final int BATCH_ROWS = 5;

    private KernelSelfCheck() {}

    /**
     * Checks a kernel against the scalar kernel.
     *
     * @param kernel the candidate
     * @throws IllegalStateException when a result differs beyond float rounding
     */
    static void verify(CpuKernel kernel) {
        CpuKernel reference = CpuKernels.scalar();
        SplittableRandom random = new SplittableRandom(20261130L);
        for (int bits : QuantSpec.SUPPORTED_BITS) {
            PackedMatrix w = randomMatrix(bits, random);
            float[] x = new float[BATCH_ROWS * COLUMNS];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextDouble(-1, 1);
            }
            FloatBuffer input = FloatBuffer.wrap(x);
            // every |x| <= 1 and |w| <= 2^bits * 0.1 + 1: a sum of K such products, in any order
            double productBound = 2 * COLUMNS * 0x1p-24 * COLUMNS * ((1 << bits) * 0.1 + 1);
            compare(
                    bits,
                    "matrix-vector",
                    matvec(reference, w, input),
                    matvec(kernel, w, input),
                    productBound);
            compare(
                    bits,
                    "small-batch",
                    smallBatch(reference, w, input),
                    smallBatch(kernel, w, input),
                    productBound);
            compare(
                    bits,
                    "dequantized row",
                    dequantized(reference, w),
                    dequantized(kernel, w),
                    0x1p-20 * ((1 << bits) * 0.1 + 1));
        }
    }

    private static PackedMatrix randomMatrix(int bits, SplittableRandom random) {
        int[] codes = new int[ROWS * COLUMNS];
        for (int i = 0; i < codes.length; i++) {
            codes[i] = random.nextInt(1 << bits);
        }
        int groups = ROWS * COLUMNS / GROUP_SIZE;
        float[] scales = new float[groups];
        float[] biases = new float[groups];
        for (int g = 0; g < groups; g++) {
            scales[g] = (float) random.nextDouble(0.01, 0.1);
            biases[g] = (float) random.nextDouble(-1, 1);
        }
        int[] packed = BitPacking.pack(codes, ROWS, COLUMNS, bits);
        return new PackedMatrix(packed, scales, biases, ROWS, COLUMNS, bits, GROUP_SIZE);
    }

    private static float[] matvec(CpuKernel kernel, PackedMatrix w, FloatBuffer x) {
        float[] laid = kernel.matvecActivations(x, 1, w);
        float[] sums = CpuKernel.groupSums(x, 1, w);
        FloatBuffer out = directFloats(ROWS);
        kernel.matvec(w, laid, sums, out, 0, ROWS);
        return toArray(out, ROWS);
    }

    private static float[] smallBatch(CpuKernel kernel, PackedMatrix w, FloatBuffer x) {
        float[] laid = kernel.matvecActivations(x, BATCH_ROWS, w);
        float[] sums = CpuKernel.groupSums(x, BATCH_ROWS, w);
        FloatBuffer out = directFloats(BATCH_ROWS * ROWS);
        kernel.smallBatch(w, laid, BATCH_ROWS, sums, out, 0, ROWS);
        return toArray(out, BATCH_ROWS * ROWS);
    }

    /** Returns the dequantized rows in natural order, whatever the kernel's layout. */
    private static float[] dequantized(CpuKernel kernel, PackedMatrix w) {
        int laid = kernel.laidColumns(w);
        float[] rows = new float[ROWS * laid];
        for (int r = 0; r < ROWS; r++) {
            kernel.dequantizeRow(w, r, rows, r * laid);
        }
        float[] natural = new float[ROWS * COLUMNS];
        float[] positions = new float[COLUMNS];
        for (int k = 0; k < COLUMNS; k++) {
            positions[k] = k + 1;
        }
        // the layout moves element k (marked k + 1) to laid position p; padding stays 0
        float[] laidPositions = kernel.layoutActivations(FloatBuffer.wrap(positions), 1, w);
        for (int r = 0; r < ROWS; r++) {
            for (int p = 0; p < laid; p++) {
                int k = (int) laidPositions[p] - 1;
                if (k >= 0) {
                    natural[r * COLUMNS + k] = rows[r * laid + p];
                }
            }
        }
        return natural;
    }

    private static void compare(
            int bits, String what, float[] expected, float[] actual, double tolerance) {
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= tolerance)) {
                throw new IllegalStateException(
                        String.format(
                                "%s product of %d-bit codes differs from the scalar kernel at %d:"
                                        + " %s instead of %s",
                                what, bits, i, actual[i], expected[i]));
            }
        }
    }

    private static FloatBuffer directFloats(int count) {
        return ByteBuffer.allocateDirect(count * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static float[] toArray(FloatBuffer buffer, int count) {
        float[] values = new float[count];
        buffer.get(0, values, 0, count);
        return values;
    }
}
