package dev.djlmetal.backend.cpu;

import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.nio.FloatBuffer;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD kernel on the incubating Vector API ({@code jdk.incubator.vector}). This is the only
 * class that refers to the module; {@link CpuKernels} loads it by name only when the module is in
 * the boot layer, and checks it with a small product before using it.
 *
 * <p>The vector width is fixed per JVM: the CPU's preferred width, or the one the system property
 * {@value CpuKernels#VECTOR_BITS_PROPERTY} asks for (128, 256 or 512 bits). Every code width and
 * group size is vectorized at every vector width, with the layout of {@link LaneLayout}: each
 * 32-bit lane decodes a unit of consecutive codes (a packed word for 2, 4 and 8 bits; 3 or 2.5
 * bytes put in place by one byte shuffle for 3, 5 and 6 bits), and the activations are laid out so
 * that code {@code s} of every lane meets its activation without shuffling the codes.
 *
 * <p>Only Vector API entry points that exist from JDK 17 on are used: vectors are loaded from Java
 * arrays ({@code fromArray}), never from buffers or memory segments, whose entry points changed
 * between releases. Each row's packed words, scales and biases are first copied from the weight's
 * off-heap memory into small per-thread arrays (one bulk copy each, from cache-sized rows).
 *
 * <p>The matrix-vector path decodes code {@code s} of a unit with a single AND against the mask
 * {@code (2^bits - 1) << bits * s}, leaving it multiplied by {@code 2^(bits * s)}, and converts
 * that to float; the activation it meets was divided by the same power of two when it was laid out
 * (see {@link LaneLayout#codeExponent}). Both scalings are exact, so the products are those of the
 * shifted codes, one instruction fewer per code.
 */
final class VectorKernel extends CpuKernel {

    private static final VectorSpecies<Integer> INT = species(CpuKernels.requestedVectorBits());
    private static final VectorSpecies<Float> FLOAT = INT.withLanes(float.class);
    private static final VectorSpecies<Byte> BYTE = INT.withLanes(byte.class);
    private static final int LANES = INT.length();

    private static final VectorShuffle<Byte> UNIT_SHUFFLE_3 = unitShuffle(3);
    private static final VectorShuffle<Byte> UNIT_SHUFFLE_5 = unitShuffle(5);
    private static final VectorShuffle<Byte> UNIT_SHUFFLE_6 = unitShuffle(6);
    private static final int[] UNIT_SHIFTS_5 = LaneLayout.unitBitShifts(5, LANES);

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Returns the int species of the requested width, or the CPU's preferred one for 0. */
    private static VectorSpecies<Integer> species(int bits) {
        if (bits == 0) {
            return IntVector.SPECIES_PREFERRED;
        }
        return VectorSpecies.of(int.class, VectorShape.forBitSize(bits));
    }

    private static VectorShuffle<Byte> unitShuffle(int bits) {
        return VectorShuffle.fromArray(BYTE, LaneLayout.unitByteShuffle(bits, LANES), 0);
    }

    /**
     * Returns the vector width this JVM's kernel uses.
     *
     * @return 128, 256 or 512
     */
    static int vectorBits() {
        return INT.vectorBitSize();
    }

    @Override
    String name() {
        return "vector-" + INT.vectorBitSize() + "bit";
    }

    @Override
    int laidColumns(PackedMatrix w) {
        return LaneLayout.of(w, LANES).laidColumns();
    }

    @Override
    void layoutActivations(FloatBuffer x, int m, PackedMatrix w, float[] dst) {
        LaneLayout.of(w, LANES).layout(x, m, w.columns(), null, dst);
    }

    @Override
    float[] matvecActivations(FloatBuffer x, PackedMatrix w) {
        LaneLayout layout = LaneLayout.of(w, LANES);
        float[] laid = new float[layout.laidColumns()];
        layout.layout(x, 1, w.columns(), layout.matvecFactors(), laid);
        return laid;
    }

    /**
     * One thread's copies of a row: packed words or bytes, scales and biases, each padded (with
     * zeros) so that every step of the row can load whole vectors.
     */
    private static final class Scratch {

        int[] words = new int[0];
        byte[] bytes = new byte[0];
        float[] scales = new float[0];
        float[] biases = new float[0];

        /**
         * Grows the arrays for a weight and zeroes their padding: rows copied in later overwrite
         * only the part before it.
         */
        Scratch prepare(PackedMatrix w, LaneLayout layout) {
            int padded = layout.paddedRowLength();
            if (LaneLayout.wordUnits(w.bits())) {
                if (words.length < padded) {
                    words = new int[padded];
                }
                Arrays.fill(words, w.wordsPerRow(), padded, 0);
            } else {
                if (bytes.length < padded) {
                    bytes = new byte[padded];
                }
                Arrays.fill(bytes, w.wordsPerRow() * 4, padded, (byte) 0);
            }
            int groups = layout.paddedGroups();
            if (scales.length < groups) {
                scales = new float[groups];
                biases = new float[groups];
            }
            Arrays.fill(scales, w.groups(), groups, 0f);
            Arrays.fill(biases, w.groups(), groups, 0f);
            return this;
        }
    }

    @Override
    void matvec(PackedMatrix w, float[] x, float[] groupSums, FloatBuffer out, int n0, int n1) {
        LaneLayout layout = LaneLayout.of(w, LANES);
        Scratch scratch = SCRATCH.get().prepare(w, layout);
        VectorShuffle<Float> seg = VectorShuffle.fromArray(FLOAT, layout.laneGroupOffsets(), 0);
        int steps = layout.steps();
        int groupShift = layout.groupShift();
        int groups = w.groups();
        int bits = w.bits();
        float[] scales = scratch.scales;
        float[] biases = scratch.biases;
        for (int n = n0; n < n1; n++) {
            w.copyScales(n, scales);
            w.copyBiases(n, biases);
            float dot;
            if (LaneLayout.wordUnits(bits)) {
                int[] words = scratch.words;
                w.copyRowWords(n, words);
                if (bits == 4) {
                    dot = rowWords4(words, x, scales, steps, groupShift, seg);
                } else if (bits == 8) {
                    dot = rowWords8(words, x, scales, steps, groupShift, seg);
                } else {
                    dot = rowWords2(words, x, scales, steps, groupShift, seg);
                }
            } else {
                byte[] bytes = scratch.bytes;
                w.copyRowBytes(n, bytes);
                if (bits == 3) {
                    dot = rowBytes3(bytes, x, scales, steps, groupShift, seg);
                } else if (bits == 5) {
                    dot = rowBytes5(bytes, x, scales, steps, groupShift, seg);
                } else {
                    dot = rowBytes6(bytes, x, scales, steps, groupShift, seg);
                }
            }
            out.put(n, dot + biasTerm(biases, groupSums, groups));
        }
    }

    /**
     * Returns {@code sum_g bias[g] * groupSums[g]} over a row's biases copied to {@code biases}.
     */
    private static float biasTerm(float[] biases, float[] groupSums, int groups) {
        FloatVector acc = FloatVector.zero(FLOAT);
        int g = 0;
        for (; g + LANES <= groups; g += LANES) {
            acc =
                    FloatVector.fromArray(FLOAT, biases, g)
                            .fma(FloatVector.fromArray(FLOAT, groupSums, g), acc);
        }
        float total = acc.reduceLanes(VectorOperators.ADD);
        for (; g < groups; g++) {
            total += biases[g] * groupSums[g];
        }
        return total;
    }

    /*
     * Code generation notes (JDK 17 C2): every vector value must be provably unboxed, so
     *  - masks and shift counts are constants and the codes of one unit are unrolled (one method
     *    per width),
     *  - nothing but plain arrays is read inside the loops: a scalar ByteBuffer or FloatBuffer read
     *    there stayed a call that spilled every vector register,
     *  - vectors are live across one loop level only (a loop nest with vector phis makes C2 box
     *    them and allocate hundreds of megabytes per product),
     *  - codes become floats through reinterpretAsFloats(), not a cast, which hides the exact type,
     *  - vector expressions are written inline rather than in helper methods: a helper that C2
     *    already compiled on its own is too big to inline and then returns boxed vectors,
     *  - the hot loops sit in per-row methods, so that C2 compiles them as whole methods rather
     *    than entering them on-stack with vectors that the interpreter already boxed.
     */

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 4-bit codes (8 per word) from the
     * row's words copied to {@code words}, with {@code x} from {@link #matvecActivations}.
     */
    private static float rowWords4(
            int[] words,
            float[] x,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg) {
        IntVector mask0 = IntVector.broadcast(INT, 0xf);
        IntVector mask1 = IntVector.broadcast(INT, 0xf0);
        IntVector mask2 = IntVector.broadcast(INT, 0xf00);
        IntVector mask3 = IntVector.broadcast(INT, 0xf000);
        IntVector mask4 = IntVector.broadcast(INT, 0xf0000);
        IntVector mask5 = IntVector.broadcast(INT, 0xf00000);
        IntVector mask6 = IntVector.broadcast(INT, 0xf000000);
        FloatVector total = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            int xo = t * LANES * 8;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a0 = q0.mul(FloatVector.fromArray(FLOAT, x, xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a1 = q1.mul(FloatVector.fromArray(FLOAT, x, xo + LANES));
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a0 = q2.fma(FloatVector.fromArray(FLOAT, x, xo + 2 * LANES), a0);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a1 = q3.fma(FloatVector.fromArray(FLOAT, x, xo + 3 * LANES), a1);
            FloatVector q4 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats();
            a0 = q4.fma(FloatVector.fromArray(FLOAT, x, xo + 4 * LANES), a0);
            FloatVector q5 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats();
            a1 = q5.fma(FloatVector.fromArray(FLOAT, x, xo + 5 * LANES), a1);
            FloatVector q6 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats();
            a0 = q6.fma(FloatVector.fromArray(FLOAT, x, xo + 6 * LANES), a0);
            FloatVector q7 = v.lanewise(LSHR, 28).convert(I2F, 0).reinterpretAsFloats();
            a1 = q7.fma(FloatVector.fromArray(FLOAT, x, xo + 7 * LANES), a1);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 8) >>> groupShift)
                            .rearrange(seg);
            total = a0.add(a1).fma(scale, total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 8-bit codes (4 per word) from the
     * row's words copied to {@code words}, with {@code x} from {@link #matvecActivations}.
     */
    private static float rowWords8(
            int[] words,
            float[] x,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg) {
        IntVector mask0 = IntVector.broadcast(INT, 0xff);
        IntVector mask1 = IntVector.broadcast(INT, 0xff00);
        IntVector mask2 = IntVector.broadcast(INT, 0xff0000);
        FloatVector total = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            int xo = t * LANES * 4;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a0 = q0.mul(FloatVector.fromArray(FLOAT, x, xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a1 = q1.mul(FloatVector.fromArray(FLOAT, x, xo + LANES));
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a0 = q2.fma(FloatVector.fromArray(FLOAT, x, xo + 2 * LANES), a0);
            FloatVector q3 = v.lanewise(LSHR, 24).convert(I2F, 0).reinterpretAsFloats();
            a1 = q3.fma(FloatVector.fromArray(FLOAT, x, xo + 3 * LANES), a1);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 4) >>> groupShift)
                            .rearrange(seg);
            total = a0.add(a1).fma(scale, total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 2-bit codes (16 per word) from the
     * row's words copied to {@code words}, with {@code x} from {@link #matvecActivations}.
     */
    private static float rowWords2(
            int[] words,
            float[] x,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg) {
        IntVector mask0 = IntVector.broadcast(INT, 0x3);
        IntVector mask1 = IntVector.broadcast(INT, 0xc);
        IntVector mask2 = IntVector.broadcast(INT, 0x30);
        IntVector mask3 = IntVector.broadcast(INT, 0xc0);
        IntVector mask4 = IntVector.broadcast(INT, 0x300);
        IntVector mask5 = IntVector.broadcast(INT, 0xc00);
        IntVector mask6 = IntVector.broadcast(INT, 0x3000);
        IntVector mask7 = IntVector.broadcast(INT, 0xc000);
        FloatVector total = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            IntVector u = v.lanewise(LSHR, 16);
            int xo = t * LANES * 16;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a0 = q0.mul(FloatVector.fromArray(FLOAT, x, xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a1 = q1.mul(FloatVector.fromArray(FLOAT, x, xo + LANES));
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a0 = q2.fma(FloatVector.fromArray(FLOAT, x, xo + 2 * LANES), a0);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a1 = q3.fma(FloatVector.fromArray(FLOAT, x, xo + 3 * LANES), a1);
            FloatVector q4 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats();
            a0 = q4.fma(FloatVector.fromArray(FLOAT, x, xo + 4 * LANES), a0);
            FloatVector q5 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats();
            a1 = q5.fma(FloatVector.fromArray(FLOAT, x, xo + 5 * LANES), a1);
            FloatVector q6 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats();
            a0 = q6.fma(FloatVector.fromArray(FLOAT, x, xo + 6 * LANES), a0);
            FloatVector q7 = v.and(mask7).convert(I2F, 0).reinterpretAsFloats();
            a1 = q7.fma(FloatVector.fromArray(FLOAT, x, xo + 7 * LANES), a1);
            FloatVector q8 = u.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            a0 = q8.fma(FloatVector.fromArray(FLOAT, x, xo + 8 * LANES), a0);
            FloatVector q9 = u.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            a1 = q9.fma(FloatVector.fromArray(FLOAT, x, xo + 9 * LANES), a1);
            FloatVector q10 = u.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a0 = q10.fma(FloatVector.fromArray(FLOAT, x, xo + 10 * LANES), a0);
            FloatVector q11 = u.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a1 = q11.fma(FloatVector.fromArray(FLOAT, x, xo + 11 * LANES), a1);
            FloatVector q12 = u.and(mask4).convert(I2F, 0).reinterpretAsFloats();
            a0 = q12.fma(FloatVector.fromArray(FLOAT, x, xo + 12 * LANES), a0);
            FloatVector q13 = u.and(mask5).convert(I2F, 0).reinterpretAsFloats();
            a1 = q13.fma(FloatVector.fromArray(FLOAT, x, xo + 13 * LANES), a1);
            FloatVector q14 = u.and(mask6).convert(I2F, 0).reinterpretAsFloats();
            a0 = q14.fma(FloatVector.fromArray(FLOAT, x, xo + 14 * LANES), a0);
            FloatVector q15 = u.and(mask7).convert(I2F, 0).reinterpretAsFloats();
            a1 = q15.fma(FloatVector.fromArray(FLOAT, x, xo + 15 * LANES), a1);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 16) >>> groupShift)
                            .rearrange(seg);
            total = a0.add(a1).fma(scale, total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 3-bit codes (8 per lane unit) from
     * the row's bytes copied to {@code bytes}, with {@code x} from {@link #matvecActivations}.
     */
    private static float rowBytes3(
            byte[] bytes,
            float[] x,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg) {
        IntVector mask0 = IntVector.broadcast(INT, 0x7);
        IntVector mask1 = IntVector.broadcast(INT, 0x38);
        IntVector mask2 = IntVector.broadcast(INT, 0x1c0);
        IntVector mask3 = IntVector.broadcast(INT, 0xe00);
        IntVector mask4 = IntVector.broadcast(INT, 0x7000);
        IntVector mask5 = IntVector.broadcast(INT, 0x38000);
        IntVector mask6 = IntVector.broadcast(INT, 0x1c0000);
        IntVector mask7 = IntVector.broadcast(INT, 0xe00000);
        int stepBytes = LANES * 3;
        FloatVector total = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_3)
                            .reinterpretAsInts();
            int xo = t * LANES * 8;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a0 = q0.mul(FloatVector.fromArray(FLOAT, x, xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a1 = q1.mul(FloatVector.fromArray(FLOAT, x, xo + LANES));
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a0 = q2.fma(FloatVector.fromArray(FLOAT, x, xo + 2 * LANES), a0);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a1 = q3.fma(FloatVector.fromArray(FLOAT, x, xo + 3 * LANES), a1);
            FloatVector q4 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats();
            a0 = q4.fma(FloatVector.fromArray(FLOAT, x, xo + 4 * LANES), a0);
            FloatVector q5 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats();
            a1 = q5.fma(FloatVector.fromArray(FLOAT, x, xo + 5 * LANES), a1);
            FloatVector q6 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats();
            a0 = q6.fma(FloatVector.fromArray(FLOAT, x, xo + 6 * LANES), a0);
            FloatVector q7 = v.and(mask7).convert(I2F, 0).reinterpretAsFloats();
            a1 = q7.fma(FloatVector.fromArray(FLOAT, x, xo + 7 * LANES), a1);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 8) >>> groupShift)
                            .rearrange(seg);
            total = a0.add(a1).fma(scale, total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 6-bit codes (4 per lane unit) from
     * the row's bytes copied to {@code bytes}, with {@code x} from {@link #matvecActivations}.
     */
    private static float rowBytes6(
            byte[] bytes,
            float[] x,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg) {
        IntVector mask0 = IntVector.broadcast(INT, 0x3f);
        IntVector mask1 = IntVector.broadcast(INT, 0xfc0);
        IntVector mask2 = IntVector.broadcast(INT, 0x3f000);
        IntVector mask3 = IntVector.broadcast(INT, 0xfc0000);
        int stepBytes = LANES * 3;
        FloatVector total = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_6)
                            .reinterpretAsInts();
            int xo = t * LANES * 4;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a0 = q0.mul(FloatVector.fromArray(FLOAT, x, xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a1 = q1.mul(FloatVector.fromArray(FLOAT, x, xo + LANES));
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a0 = q2.fma(FloatVector.fromArray(FLOAT, x, xo + 2 * LANES), a0);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a1 = q3.fma(FloatVector.fromArray(FLOAT, x, xo + 3 * LANES), a1);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 4) >>> groupShift)
                            .rearrange(seg);
            total = a0.add(a1).fma(scale, total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 5-bit codes (4 per lane unit) from
     * the row's bytes copied to {@code bytes}, with {@code x} from {@link #matvecActivations}.
     */
    private static float rowBytes5(
            byte[] bytes,
            float[] x,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg) {
        IntVector mask0 = IntVector.broadcast(INT, 0x1f);
        IntVector mask1 = IntVector.broadcast(INT, 0x3e0);
        IntVector mask2 = IntVector.broadcast(INT, 0x7c00);
        IntVector mask3 = IntVector.broadcast(INT, 0xf8000);
        IntVector shifts = IntVector.fromArray(INT, UNIT_SHIFTS_5, 0);
        int stepBytes = LANES * 20 / 8;
        FloatVector total = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_5)
                            .reinterpretAsInts()
                            .lanewise(LSHR, shifts);
            int xo = t * LANES * 4;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a0 = q0.mul(FloatVector.fromArray(FLOAT, x, xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a1 = q1.mul(FloatVector.fromArray(FLOAT, x, xo + LANES));
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a0 = q2.fma(FloatVector.fromArray(FLOAT, x, xo + 2 * LANES), a0);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a1 = q3.fma(FloatVector.fromArray(FLOAT, x, xo + 3 * LANES), a1);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 4) >>> groupShift)
                            .rearrange(seg);
            total = a0.add(a1).fma(scale, total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void blocked(PackedMatrix w, float[] x, int m, FloatBuffer out, int n0, int n1) {
        int k = laidColumns(w);
        int strip = stripRows();
        float[] weights = new float[strip * k];
        for (int s0 = n0; s0 < n1; s0 += strip) {
            int height = Math.min(strip, n1 - s0);
            for (int r = 0; r < height; r++) {
                dequantizeRow(w, s0 + r, weights, r * k);
            }
            multiplyStrip(x, m, k, weights, height, out, w.rows(), s0);
        }
    }

    @Override
    void dequantizeRow(PackedMatrix w, int row, float[] dst, int dstOffset) {
        LaneLayout layout = LaneLayout.of(w, LANES);
        Scratch scratch = SCRATCH.get().prepare(w, layout);
        VectorShuffle<Float> seg = VectorShuffle.fromArray(FLOAT, layout.laneGroupOffsets(), 0);
        w.copyScales(row, scratch.scales);
        w.copyBiases(row, scratch.biases);
        if (LaneLayout.wordUnits(w.bits())) {
            w.copyRowWords(row, scratch.words);
            dequantizeWords(scratch, layout, seg, dst, dstOffset);
        } else {
            w.copyRowBytes(row, scratch.bytes);
            dequantizeBytes(scratch, layout, seg, dst, dstOffset);
        }
    }

    /** Dequantizes a row of word units into the kernel's layout: {@code code * scale + bias}. */
    private static void dequantizeWords(
            Scratch scratch, LaneLayout layout, VectorShuffle<Float> seg, float[] dst, int o) {
        int bits = layout.bits();
        int perLane = layout.codesPerLane();
        int stepCodes = layout.stepCodes();
        int groupShift = layout.groupShift();
        int[] words = scratch.words;
        float[] scales = scratch.scales;
        float[] biases = scratch.biases;
        IntVector mask = IntVector.broadcast(INT, (1 << bits) - 1);
        for (int t = 0; t < layout.steps(); t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            int g = (t * stepCodes) >>> groupShift;
            FloatVector scale = FloatVector.fromArray(FLOAT, scales, g).rearrange(seg);
            FloatVector bias = FloatVector.fromArray(FLOAT, biases, g).rearrange(seg);
            for (int s = 0; s < perLane; s++) {
                v.lanewise(LSHR, bits * s)
                        .and(mask)
                        .convert(I2F, 0)
                        .reinterpretAsFloats()
                        .fma(scale, bias)
                        .intoArray(dst, o + t * stepCodes + s * LANES);
            }
        }
    }

    /** Dequantizes a row of byte-run units into the kernel's layout. */
    private static void dequantizeBytes(
            Scratch scratch, LaneLayout layout, VectorShuffle<Float> seg, float[] dst, int o) {
        int bits = layout.bits();
        int perLane = layout.codesPerLane();
        int stepCodes = layout.stepCodes();
        int stepBytes = layout.stepBytes();
        int groupShift = layout.groupShift();
        byte[] bytes = scratch.bytes;
        float[] scales = scratch.scales;
        float[] biases = scratch.biases;
        VectorShuffle<Byte> shuffle =
                bits == 3 ? UNIT_SHUFFLE_3 : bits == 5 ? UNIT_SHUFFLE_5 : UNIT_SHUFFLE_6;
        IntVector shifts = IntVector.fromArray(INT, LaneLayout.unitBitShifts(bits, LANES), 0);
        IntVector mask = IntVector.broadcast(INT, (1 << bits) - 1);
        for (int t = 0; t < layout.steps(); t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(shuffle)
                            .reinterpretAsInts()
                            .lanewise(LSHR, shifts);
            int g = (t * stepCodes) >>> groupShift;
            FloatVector scale = FloatVector.fromArray(FLOAT, scales, g).rearrange(seg);
            FloatVector bias = FloatVector.fromArray(FLOAT, biases, g).rearrange(seg);
            for (int s = 0; s < perLane; s++) {
                v.lanewise(LSHR, bits * s)
                        .and(mask)
                        .convert(I2F, 0)
                        .reinterpretAsFloats()
                        .fma(scale, bias)
                        .intoArray(dst, o + t * stepCodes + s * LANES);
            }
        }
    }

    private static void multiplyStrip(
            float[] x,
            int m,
            int k,
            float[] weights,
            int height,
            FloatBuffer out,
            int rows,
            int s0) {
        int i = 0;
        for (; i + 2 <= m; i += 2) {
            int r = 0;
            for (; r + 4 <= height; r += 4) {
                dot2x4(x, i * k, (i + 1) * k, weights, r * k, k, out, i * rows + s0 + r, rows);
            }
            for (; r < height; r++) {
                out.put(i * rows + s0 + r, dot(x, i * k, weights, r * k, k));
                out.put((i + 1) * rows + s0 + r, dot(x, (i + 1) * k, weights, r * k, k));
            }
        }
        for (; i < m; i++) {
            for (int r = 0; r < height; r++) {
                out.put(i * rows + s0 + r, dot(x, i * k, weights, r * k, k));
            }
        }
    }

    private static void dot2x4(
            float[] x, int x0, int x1, float[] w, int w0, int k, FloatBuffer out, int o, int rows) {
        FloatVector a00 = FloatVector.zero(FLOAT);
        FloatVector a01 = FloatVector.zero(FLOAT);
        FloatVector a02 = FloatVector.zero(FLOAT);
        FloatVector a03 = FloatVector.zero(FLOAT);
        FloatVector a10 = FloatVector.zero(FLOAT);
        FloatVector a11 = FloatVector.zero(FLOAT);
        FloatVector a12 = FloatVector.zero(FLOAT);
        FloatVector a13 = FloatVector.zero(FLOAT);
        int w1 = w0 + k;
        int w2 = w1 + k;
        int w3 = w2 + k;
        for (int j = 0; j < k; j += LANES) {
            FloatVector v0 = FloatVector.fromArray(FLOAT, x, x0 + j);
            FloatVector v1 = FloatVector.fromArray(FLOAT, x, x1 + j);
            FloatVector b0 = FloatVector.fromArray(FLOAT, w, w0 + j);
            FloatVector b1 = FloatVector.fromArray(FLOAT, w, w1 + j);
            FloatVector b2 = FloatVector.fromArray(FLOAT, w, w2 + j);
            FloatVector b3 = FloatVector.fromArray(FLOAT, w, w3 + j);
            a00 = v0.fma(b0, a00);
            a01 = v0.fma(b1, a01);
            a02 = v0.fma(b2, a02);
            a03 = v0.fma(b3, a03);
            a10 = v1.fma(b0, a10);
            a11 = v1.fma(b1, a11);
            a12 = v1.fma(b2, a12);
            a13 = v1.fma(b3, a13);
        }
        out.put(o, a00.reduceLanes(VectorOperators.ADD));
        out.put(o + 1, a01.reduceLanes(VectorOperators.ADD));
        out.put(o + 2, a02.reduceLanes(VectorOperators.ADD));
        out.put(o + 3, a03.reduceLanes(VectorOperators.ADD));
        out.put(o + rows, a10.reduceLanes(VectorOperators.ADD));
        out.put(o + rows + 1, a11.reduceLanes(VectorOperators.ADD));
        out.put(o + rows + 2, a12.reduceLanes(VectorOperators.ADD));
        out.put(o + rows + 3, a13.reduceLanes(VectorOperators.ADD));
    }

    private static float dot(float[] x, int x0, float[] w, int w0, int k) {
        FloatVector a0 = FloatVector.zero(FLOAT);
        FloatVector a1 = FloatVector.zero(FLOAT);
        int j = 0;
        for (; j + 2 * LANES <= k; j += 2 * LANES) {
            a0 =
                    FloatVector.fromArray(FLOAT, x, x0 + j)
                            .fma(FloatVector.fromArray(FLOAT, w, w0 + j), a0);
            a1 =
                    FloatVector.fromArray(FLOAT, x, x0 + j + LANES)
                            .fma(FloatVector.fromArray(FLOAT, w, w0 + j + LANES), a1);
        }
        for (; j < k; j += LANES) {
            a0 =
                    FloatVector.fromArray(FLOAT, x, x0 + j)
                            .fma(FloatVector.fromArray(FLOAT, w, w0 + j), a0);
        }
        return a0.add(a1).reduceLanes(VectorOperators.ADD);
    }
}
