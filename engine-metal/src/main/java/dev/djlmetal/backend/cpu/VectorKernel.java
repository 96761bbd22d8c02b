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
    void matvecActivations(FloatBuffer x, int m, PackedMatrix w, float[] dst) {
        LaneLayout layout = LaneLayout.of(w, LANES);
        layout.layout(x, m, w.columns(), layout.sharedMatvecFactors(), dst);
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
        final float[] dots = new float[8];

        /**
         * Grows the arrays for two rows of a weight (the second at {@code paddedRowLength()} and
         * {@code paddedGroups()}) and zeroes their padding: rows copied in later overwrite only the
         * part before it.
         */
        Scratch prepare(PackedMatrix w, LaneLayout layout) {
            int padded = layout.paddedRowLength();
            if (LaneLayout.wordUnits(w.bits())) {
                if (words.length < 2 * padded) {
                    words = new int[2 * padded];
                }
                Arrays.fill(words, w.wordsPerRow(), padded, 0);
                Arrays.fill(words, padded + w.wordsPerRow(), 2 * padded, 0);
            } else {
                if (bytes.length < 2 * padded) {
                    bytes = new byte[2 * padded];
                }
                Arrays.fill(bytes, w.wordsPerRow() * 4, padded, (byte) 0);
                Arrays.fill(bytes, padded + w.wordsPerRow() * 4, 2 * padded, (byte) 0);
            }
            int groups = layout.paddedGroups();
            if (scales.length < 2 * groups) {
                scales = new float[2 * groups];
                biases = new float[2 * groups];
            }
            Arrays.fill(scales, w.groups(), groups, 0f);
            Arrays.fill(scales, groups + w.groups(), 2 * groups, 0f);
            Arrays.fill(biases, w.groups(), groups, 0f);
            Arrays.fill(biases, groups + w.groups(), 2 * groups, 0f);
            return this;
        }
    }

    @Override
    void matvec(PackedMatrix w, float[] x, float[] groupSums, FloatBuffer out, int n0, int n1) {
        LaneLayout layout = LaneLayout.of(w, LANES);
        Scratch scratch = SCRATCH.get().prepare(w, layout);
        VectorShuffle<Float> seg =
                VectorShuffle.fromArray(FLOAT, layout.sharedLaneGroupOffsets(), 0);
        int steps = layout.steps();
        int groupShift = layout.groupShift();
        int groups = w.groups();
        int bits = w.bits();
        boolean wordUnits = LaneLayout.wordUnits(bits);
        int second = layout.paddedRowLength();
        int secondScales = layout.paddedGroups();
        float[] scales = scratch.scales;
        float[] biases = scratch.biases;
        float[] dots = scratch.dots;
        int n = n0;
        for (; n + 2 <= n1; n += 2) {
            // two rows at a time: the activations are loaded once for both
            w.copyScales(n, scales, 0);
            w.copyScales(n + 1, scales, secondScales);
            w.copyBiases(n, biases, 0);
            w.copyBiases(n + 1, biases, secondScales);
            if (wordUnits) {
                int[] words = scratch.words;
                w.copyRowWords(n, words, 0);
                w.copyRowWords(n + 1, words, second);
                if (bits == 4) {
                    pairWords4(
                            words, second, x, scales, secondScales, steps, groupShift, seg, dots);
                } else if (bits == 8) {
                    pairWords8(
                            words, second, x, scales, secondScales, steps, groupShift, seg, dots);
                } else {
                    pairWords2(
                            words, second, x, scales, secondScales, steps, groupShift, seg, dots);
                }
            } else {
                byte[] bytes = scratch.bytes;
                w.copyRowBytes(n, bytes, 0);
                w.copyRowBytes(n + 1, bytes, second);
                if (bits == 3) {
                    pairBytes3(
                            bytes, second, x, scales, secondScales, steps, groupShift, seg, dots);
                } else if (bits == 5) {
                    pairBytes5(
                            bytes, second, x, scales, secondScales, steps, groupShift, seg, dots);
                } else {
                    pairBytes6(
                            bytes, second, x, scales, secondScales, steps, groupShift, seg, dots);
                }
            }
            out.put(n, dots[0] + biasTerm(biases, groupSums, 0, groups));
            out.put(n + 1, dots[1] + biasTerm(biases, secondScales, groupSums, 0, groups));
        }
        for (; n < n1; n++) {
            w.copyScales(n, scales, 0);
            w.copyBiases(n, biases, 0);
            float dot;
            if (wordUnits) {
                int[] words = scratch.words;
                w.copyRowWords(n, words, 0);
                if (bits == 4) {
                    dot = rowWords4(words, x, scales, steps, groupShift, seg);
                } else if (bits == 8) {
                    dot = rowWords8(words, x, scales, steps, groupShift, seg);
                } else {
                    dot = rowWords2(words, x, scales, steps, groupShift, seg);
                }
            } else {
                byte[] bytes = scratch.bytes;
                w.copyRowBytes(n, bytes, 0);
                if (bits == 3) {
                    dot = rowBytes3(bytes, x, scales, steps, groupShift, seg);
                } else if (bits == 5) {
                    dot = rowBytes5(bytes, x, scales, steps, groupShift, seg);
                } else {
                    dot = rowBytes6(bytes, x, scales, steps, groupShift, seg);
                }
            }
            out.put(n, dot + biasTerm(biases, groupSums, 0, groups));
        }
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of two weight rows at once (4-bit
     * codes; the second row's copy starts at {@code second}, its scales at {@code secondScales}):
     * each activation vector is loaded once for both rows, and the two rows' dependency chains
     * overlap.
     */
    private static void pairWords4(
            int[] words,
            int second,
            float[] x,
            float[] scales,
            int secondScales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0xf);
        IntVector mask1 = IntVector.broadcast(INT, 0xf0);
        IntVector mask2 = IntVector.broadcast(INT, 0xf00);
        IntVector mask3 = IntVector.broadcast(INT, 0xf000);
        IntVector mask4 = IntVector.broadcast(INT, 0xf0000);
        IntVector mask5 = IntVector.broadcast(INT, 0xf00000);
        IntVector mask6 = IntVector.broadcast(INT, 0xf000000);
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            IntVector w = IntVector.fromArray(INT, words, second + t * LANES);
            int xo = t * LANES * 8;
            FloatVector x0 = FloatVector.fromArray(FLOAT, x, xo);
            FloatVector a0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector b0 = w.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector x1 = FloatVector.fromArray(FLOAT, x, xo + 1 * LANES);
            FloatVector a1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector b1 = w.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector x2 = FloatVector.fromArray(FLOAT, x, xo + 2 * LANES);
            a0 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, a0);
            b0 = w.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, b0);
            FloatVector x3 = FloatVector.fromArray(FLOAT, x, xo + 3 * LANES);
            a1 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, a1);
            b1 = w.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, b1);
            FloatVector x4 = FloatVector.fromArray(FLOAT, x, xo + 4 * LANES);
            a0 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats().fma(x4, a0);
            b0 = w.and(mask4).convert(I2F, 0).reinterpretAsFloats().fma(x4, b0);
            FloatVector x5 = FloatVector.fromArray(FLOAT, x, xo + 5 * LANES);
            a1 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats().fma(x5, a1);
            b1 = w.and(mask5).convert(I2F, 0).reinterpretAsFloats().fma(x5, b1);
            FloatVector x6 = FloatVector.fromArray(FLOAT, x, xo + 6 * LANES);
            a0 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats().fma(x6, a0);
            b0 = w.and(mask6).convert(I2F, 0).reinterpretAsFloats().fma(x6, b0);
            FloatVector x7 = FloatVector.fromArray(FLOAT, x, xo + 7 * LANES);
            a1 = v.lanewise(LSHR, 28).convert(I2F, 0).reinterpretAsFloats().fma(x7, a1);
            b1 = w.lanewise(LSHR, 28).convert(I2F, 0).reinterpretAsFloats().fma(x7, b1);
            int g = (t * LANES * 8) >>> groupShift;
            ta = a0.add(a1).fma(FloatVector.fromArray(FLOAT, scales, g).rearrange(seg), ta);
            tb =
                    b0.add(b1)
                            .fma(
                                    FloatVector.fromArray(FLOAT, scales, secondScales + g)
                                            .rearrange(seg),
                                    tb);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of two weight rows at once (8-bit
     * codes; the second row's copy starts at {@code second}, its scales at {@code secondScales}):
     * each activation vector is loaded once for both rows, and the two rows' dependency chains
     * overlap.
     */
    private static void pairWords8(
            int[] words,
            int second,
            float[] x,
            float[] scales,
            int secondScales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0xff);
        IntVector mask1 = IntVector.broadcast(INT, 0xff00);
        IntVector mask2 = IntVector.broadcast(INT, 0xff0000);
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            IntVector w = IntVector.fromArray(INT, words, second + t * LANES);
            int xo = t * LANES * 4;
            FloatVector x0 = FloatVector.fromArray(FLOAT, x, xo);
            FloatVector a0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector b0 = w.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector x1 = FloatVector.fromArray(FLOAT, x, xo + 1 * LANES);
            FloatVector a1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector b1 = w.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector x2 = FloatVector.fromArray(FLOAT, x, xo + 2 * LANES);
            a0 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, a0);
            b0 = w.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, b0);
            FloatVector x3 = FloatVector.fromArray(FLOAT, x, xo + 3 * LANES);
            a1 = v.lanewise(LSHR, 24).convert(I2F, 0).reinterpretAsFloats().fma(x3, a1);
            b1 = w.lanewise(LSHR, 24).convert(I2F, 0).reinterpretAsFloats().fma(x3, b1);
            int g = (t * LANES * 4) >>> groupShift;
            ta = a0.add(a1).fma(FloatVector.fromArray(FLOAT, scales, g).rearrange(seg), ta);
            tb =
                    b0.add(b1)
                            .fma(
                                    FloatVector.fromArray(FLOAT, scales, secondScales + g)
                                            .rearrange(seg),
                                    tb);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of two weight rows at once (2-bit
     * codes; the second row's copy starts at {@code second}, its scales at {@code secondScales}):
     * each activation vector is loaded once for both rows, and the two rows' dependency chains
     * overlap.
     */
    private static void pairWords2(
            int[] words,
            int second,
            float[] x,
            float[] scales,
            int secondScales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0x3);
        IntVector mask1 = IntVector.broadcast(INT, 0xc);
        IntVector mask2 = IntVector.broadcast(INT, 0x30);
        IntVector mask3 = IntVector.broadcast(INT, 0xc0);
        IntVector mask4 = IntVector.broadcast(INT, 0x300);
        IntVector mask5 = IntVector.broadcast(INT, 0xc00);
        IntVector mask6 = IntVector.broadcast(INT, 0x3000);
        IntVector mask7 = IntVector.broadcast(INT, 0xc000);
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            IntVector w = IntVector.fromArray(INT, words, second + t * LANES);
            IntVector vu = v.lanewise(LSHR, 16);
            IntVector wu = w.lanewise(LSHR, 16);
            int xo = t * LANES * 16;
            FloatVector x0 = FloatVector.fromArray(FLOAT, x, xo);
            FloatVector a0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector b0 = w.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector x1 = FloatVector.fromArray(FLOAT, x, xo + 1 * LANES);
            FloatVector a1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector b1 = w.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector x2 = FloatVector.fromArray(FLOAT, x, xo + 2 * LANES);
            a0 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, a0);
            b0 = w.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, b0);
            FloatVector x3 = FloatVector.fromArray(FLOAT, x, xo + 3 * LANES);
            a1 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, a1);
            b1 = w.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, b1);
            FloatVector x4 = FloatVector.fromArray(FLOAT, x, xo + 4 * LANES);
            a0 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats().fma(x4, a0);
            b0 = w.and(mask4).convert(I2F, 0).reinterpretAsFloats().fma(x4, b0);
            FloatVector x5 = FloatVector.fromArray(FLOAT, x, xo + 5 * LANES);
            a1 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats().fma(x5, a1);
            b1 = w.and(mask5).convert(I2F, 0).reinterpretAsFloats().fma(x5, b1);
            FloatVector x6 = FloatVector.fromArray(FLOAT, x, xo + 6 * LANES);
            a0 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats().fma(x6, a0);
            b0 = w.and(mask6).convert(I2F, 0).reinterpretAsFloats().fma(x6, b0);
            FloatVector x7 = FloatVector.fromArray(FLOAT, x, xo + 7 * LANES);
            a1 = v.and(mask7).convert(I2F, 0).reinterpretAsFloats().fma(x7, a1);
            b1 = w.and(mask7).convert(I2F, 0).reinterpretAsFloats().fma(x7, b1);
            FloatVector x8 = FloatVector.fromArray(FLOAT, x, xo + 8 * LANES);
            a0 = vu.and(mask0).convert(I2F, 0).reinterpretAsFloats().fma(x8, a0);
            b0 = wu.and(mask0).convert(I2F, 0).reinterpretAsFloats().fma(x8, b0);
            FloatVector x9 = FloatVector.fromArray(FLOAT, x, xo + 9 * LANES);
            a1 = vu.and(mask1).convert(I2F, 0).reinterpretAsFloats().fma(x9, a1);
            b1 = wu.and(mask1).convert(I2F, 0).reinterpretAsFloats().fma(x9, b1);
            FloatVector x10 = FloatVector.fromArray(FLOAT, x, xo + 10 * LANES);
            a0 = vu.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x10, a0);
            b0 = wu.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x10, b0);
            FloatVector x11 = FloatVector.fromArray(FLOAT, x, xo + 11 * LANES);
            a1 = vu.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x11, a1);
            b1 = wu.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x11, b1);
            FloatVector x12 = FloatVector.fromArray(FLOAT, x, xo + 12 * LANES);
            a0 = vu.and(mask4).convert(I2F, 0).reinterpretAsFloats().fma(x12, a0);
            b0 = wu.and(mask4).convert(I2F, 0).reinterpretAsFloats().fma(x12, b0);
            FloatVector x13 = FloatVector.fromArray(FLOAT, x, xo + 13 * LANES);
            a1 = vu.and(mask5).convert(I2F, 0).reinterpretAsFloats().fma(x13, a1);
            b1 = wu.and(mask5).convert(I2F, 0).reinterpretAsFloats().fma(x13, b1);
            FloatVector x14 = FloatVector.fromArray(FLOAT, x, xo + 14 * LANES);
            a0 = vu.and(mask6).convert(I2F, 0).reinterpretAsFloats().fma(x14, a0);
            b0 = wu.and(mask6).convert(I2F, 0).reinterpretAsFloats().fma(x14, b0);
            FloatVector x15 = FloatVector.fromArray(FLOAT, x, xo + 15 * LANES);
            a1 = vu.and(mask7).convert(I2F, 0).reinterpretAsFloats().fma(x15, a1);
            b1 = wu.and(mask7).convert(I2F, 0).reinterpretAsFloats().fma(x15, b1);
            int g = (t * LANES * 16) >>> groupShift;
            ta = a0.add(a1).fma(FloatVector.fromArray(FLOAT, scales, g).rearrange(seg), ta);
            tb =
                    b0.add(b1)
                            .fma(
                                    FloatVector.fromArray(FLOAT, scales, secondScales + g)
                                            .rearrange(seg),
                                    tb);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of two weight rows at once (3-bit
     * codes; the second row's copy starts at {@code second}, its scales at {@code secondScales}):
     * each activation vector is loaded once for both rows, and the two rows' dependency chains
     * overlap.
     */
    private static void pairBytes3(
            byte[] bytes,
            int second,
            float[] x,
            float[] scales,
            int secondScales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0x7);
        IntVector mask1 = IntVector.broadcast(INT, 0x38);
        IntVector mask2 = IntVector.broadcast(INT, 0x1c0);
        IntVector mask3 = IntVector.broadcast(INT, 0xe00);
        IntVector mask4 = IntVector.broadcast(INT, 0x7000);
        IntVector mask5 = IntVector.broadcast(INT, 0x38000);
        IntVector mask6 = IntVector.broadcast(INT, 0x1c0000);
        IntVector mask7 = IntVector.broadcast(INT, 0xe00000);
        int stepBytes = LANES * 3;
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_3)
                            .reinterpretAsInts();
            IntVector w =
                    ByteVector.fromArray(BYTE, bytes, second + t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_3)
                            .reinterpretAsInts();
            int xo = t * LANES * 8;
            FloatVector x0 = FloatVector.fromArray(FLOAT, x, xo);
            FloatVector a0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector b0 = w.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector x1 = FloatVector.fromArray(FLOAT, x, xo + 1 * LANES);
            FloatVector a1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector b1 = w.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector x2 = FloatVector.fromArray(FLOAT, x, xo + 2 * LANES);
            a0 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, a0);
            b0 = w.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, b0);
            FloatVector x3 = FloatVector.fromArray(FLOAT, x, xo + 3 * LANES);
            a1 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, a1);
            b1 = w.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, b1);
            FloatVector x4 = FloatVector.fromArray(FLOAT, x, xo + 4 * LANES);
            a0 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats().fma(x4, a0);
            b0 = w.and(mask4).convert(I2F, 0).reinterpretAsFloats().fma(x4, b0);
            FloatVector x5 = FloatVector.fromArray(FLOAT, x, xo + 5 * LANES);
            a1 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats().fma(x5, a1);
            b1 = w.and(mask5).convert(I2F, 0).reinterpretAsFloats().fma(x5, b1);
            FloatVector x6 = FloatVector.fromArray(FLOAT, x, xo + 6 * LANES);
            a0 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats().fma(x6, a0);
            b0 = w.and(mask6).convert(I2F, 0).reinterpretAsFloats().fma(x6, b0);
            FloatVector x7 = FloatVector.fromArray(FLOAT, x, xo + 7 * LANES);
            a1 = v.and(mask7).convert(I2F, 0).reinterpretAsFloats().fma(x7, a1);
            b1 = w.and(mask7).convert(I2F, 0).reinterpretAsFloats().fma(x7, b1);
            int g = (t * LANES * 8) >>> groupShift;
            ta = a0.add(a1).fma(FloatVector.fromArray(FLOAT, scales, g).rearrange(seg), ta);
            tb =
                    b0.add(b1)
                            .fma(
                                    FloatVector.fromArray(FLOAT, scales, secondScales + g)
                                            .rearrange(seg),
                                    tb);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of two weight rows at once (6-bit
     * codes; the second row's copy starts at {@code second}, its scales at {@code secondScales}):
     * each activation vector is loaded once for both rows, and the two rows' dependency chains
     * overlap.
     */
    private static void pairBytes6(
            byte[] bytes,
            int second,
            float[] x,
            float[] scales,
            int secondScales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0x3f);
        IntVector mask1 = IntVector.broadcast(INT, 0xfc0);
        IntVector mask2 = IntVector.broadcast(INT, 0x3f000);
        IntVector mask3 = IntVector.broadcast(INT, 0xfc0000);
        int stepBytes = LANES * 3;
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_6)
                            .reinterpretAsInts();
            IntVector w =
                    ByteVector.fromArray(BYTE, bytes, second + t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_6)
                            .reinterpretAsInts();
            int xo = t * LANES * 4;
            FloatVector x0 = FloatVector.fromArray(FLOAT, x, xo);
            FloatVector a0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector b0 = w.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector x1 = FloatVector.fromArray(FLOAT, x, xo + 1 * LANES);
            FloatVector a1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector b1 = w.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector x2 = FloatVector.fromArray(FLOAT, x, xo + 2 * LANES);
            a0 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, a0);
            b0 = w.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, b0);
            FloatVector x3 = FloatVector.fromArray(FLOAT, x, xo + 3 * LANES);
            a1 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, a1);
            b1 = w.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, b1);
            int g = (t * LANES * 4) >>> groupShift;
            ta = a0.add(a1).fma(FloatVector.fromArray(FLOAT, scales, g).rearrange(seg), ta);
            tb =
                    b0.add(b1)
                            .fma(
                                    FloatVector.fromArray(FLOAT, scales, secondScales + g)
                                            .rearrange(seg),
                                    tb);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of two weight rows at once (5-bit
     * codes; the second row's copy starts at {@code second}, its scales at {@code secondScales}):
     * each activation vector is loaded once for both rows, and the two rows' dependency chains
     * overlap.
     */
    private static void pairBytes5(
            byte[] bytes,
            int second,
            float[] x,
            float[] scales,
            int secondScales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0x1f);
        IntVector mask1 = IntVector.broadcast(INT, 0x3e0);
        IntVector mask2 = IntVector.broadcast(INT, 0x7c00);
        IntVector mask3 = IntVector.broadcast(INT, 0xf8000);
        IntVector shifts = IntVector.fromArray(INT, UNIT_SHIFTS_5, 0);
        int stepBytes = LANES * 20 / 8;
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_5)
                            .reinterpretAsInts()
                            .lanewise(LSHR, shifts);
            IntVector w =
                    ByteVector.fromArray(BYTE, bytes, second + t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_5)
                            .reinterpretAsInts()
                            .lanewise(LSHR, shifts);
            int xo = t * LANES * 4;
            FloatVector x0 = FloatVector.fromArray(FLOAT, x, xo);
            FloatVector a0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector b0 = w.and(mask0).convert(I2F, 0).reinterpretAsFloats().mul(x0);
            FloatVector x1 = FloatVector.fromArray(FLOAT, x, xo + 1 * LANES);
            FloatVector a1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector b1 = w.and(mask1).convert(I2F, 0).reinterpretAsFloats().mul(x1);
            FloatVector x2 = FloatVector.fromArray(FLOAT, x, xo + 2 * LANES);
            a0 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, a0);
            b0 = w.and(mask2).convert(I2F, 0).reinterpretAsFloats().fma(x2, b0);
            FloatVector x3 = FloatVector.fromArray(FLOAT, x, xo + 3 * LANES);
            a1 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, a1);
            b1 = w.and(mask3).convert(I2F, 0).reinterpretAsFloats().fma(x3, b1);
            int g = (t * LANES * 4) >>> groupShift;
            ta = a0.add(a1).fma(FloatVector.fromArray(FLOAT, scales, g).rearrange(seg), ta);
            tb =
                    b0.add(b1)
                            .fma(
                                    FloatVector.fromArray(FLOAT, scales, secondScales + g)
                                            .rearrange(seg),
                                    tb);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Returns {@code sum_g bias[g] * groupSums[offset + g]} over a row's biases copied to {@code
     * biases}.
     */
    private static float biasTerm(float[] biases, float[] groupSums, int offset, int groups) {
        return biasTerm(biases, 0, groupSums, offset, groups);
    }

    /**
     * Returns {@code sum_g bias[biasOffset + g] * groupSums[offset + g]} over a row's biases copied
     * to {@code biases} from {@code biasOffset}.
     */
    private static float biasTerm(
            float[] biases, int biasOffset, float[] groupSums, int offset, int groups) {
        FloatVector acc = FloatVector.zero(FLOAT);
        int g = 0;
        for (; g + LANES <= groups; g += LANES) {
            acc =
                    FloatVector.fromArray(FLOAT, biases, biasOffset + g)
                            .fma(FloatVector.fromArray(FLOAT, groupSums, offset + g), acc);
        }
        float total = acc.reduceLanes(VectorOperators.ADD);
        for (; g < groups; g++) {
            total += biases[biasOffset + g] * groupSums[offset + g];
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

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of one weight row with four activation
     * rows at once (4-bit codes): each code vector is decoded once for the four rows.
     */
    private static void tileWords4(
            int[] words,
            float[] x,
            int x0,
            int x1,
            int x2,
            int x3,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0xf);
        IntVector mask1 = IntVector.broadcast(INT, 0xf0);
        IntVector mask2 = IntVector.broadcast(INT, 0xf00);
        IntVector mask3 = IntVector.broadcast(INT, 0xf000);
        IntVector mask4 = IntVector.broadcast(INT, 0xf0000);
        IntVector mask5 = IntVector.broadcast(INT, 0xf00000);
        IntVector mask6 = IntVector.broadcast(INT, 0xf000000);
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        FloatVector tc = FloatVector.zero(FLOAT);
        FloatVector td = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            int xo = t * LANES * 8;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a = q0.mul(FloatVector.fromArray(FLOAT, x, x0 + xo));
            FloatVector b = q0.mul(FloatVector.fromArray(FLOAT, x, x1 + xo));
            FloatVector c = q0.mul(FloatVector.fromArray(FLOAT, x, x2 + xo));
            FloatVector d = q0.mul(FloatVector.fromArray(FLOAT, x, x3 + xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            a = q1.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 1 * LANES), a);
            b = q1.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 1 * LANES), b);
            c = q1.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 1 * LANES), c);
            d = q1.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 1 * LANES), d);
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a = q2.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 2 * LANES), a);
            b = q2.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 2 * LANES), b);
            c = q2.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 2 * LANES), c);
            d = q2.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 2 * LANES), d);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a = q3.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 3 * LANES), a);
            b = q3.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 3 * LANES), b);
            c = q3.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 3 * LANES), c);
            d = q3.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 3 * LANES), d);
            FloatVector q4 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats();
            a = q4.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 4 * LANES), a);
            b = q4.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 4 * LANES), b);
            c = q4.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 4 * LANES), c);
            d = q4.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 4 * LANES), d);
            FloatVector q5 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats();
            a = q5.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 5 * LANES), a);
            b = q5.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 5 * LANES), b);
            c = q5.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 5 * LANES), c);
            d = q5.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 5 * LANES), d);
            FloatVector q6 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats();
            a = q6.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 6 * LANES), a);
            b = q6.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 6 * LANES), b);
            c = q6.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 6 * LANES), c);
            d = q6.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 6 * LANES), d);
            FloatVector q7 = v.lanewise(LSHR, 28).convert(I2F, 0).reinterpretAsFloats();
            a = q7.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 7 * LANES), a);
            b = q7.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 7 * LANES), b);
            c = q7.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 7 * LANES), c);
            d = q7.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 7 * LANES), d);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 8) >>> groupShift)
                            .rearrange(seg);
            ta = a.fma(scale, ta);
            tb = b.fma(scale, tb);
            tc = c.fma(scale, tc);
            td = d.fma(scale, td);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
        dots[2] = tc.reduceLanes(VectorOperators.ADD);
        dots[3] = td.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of one weight row with four activation
     * rows at once (8-bit codes): each code vector is decoded once for the four rows.
     */
    private static void tileWords8(
            int[] words,
            float[] x,
            int x0,
            int x1,
            int x2,
            int x3,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0xff);
        IntVector mask1 = IntVector.broadcast(INT, 0xff00);
        IntVector mask2 = IntVector.broadcast(INT, 0xff0000);
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        FloatVector tc = FloatVector.zero(FLOAT);
        FloatVector td = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            int xo = t * LANES * 4;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a = q0.mul(FloatVector.fromArray(FLOAT, x, x0 + xo));
            FloatVector b = q0.mul(FloatVector.fromArray(FLOAT, x, x1 + xo));
            FloatVector c = q0.mul(FloatVector.fromArray(FLOAT, x, x2 + xo));
            FloatVector d = q0.mul(FloatVector.fromArray(FLOAT, x, x3 + xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            a = q1.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 1 * LANES), a);
            b = q1.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 1 * LANES), b);
            c = q1.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 1 * LANES), c);
            d = q1.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 1 * LANES), d);
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a = q2.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 2 * LANES), a);
            b = q2.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 2 * LANES), b);
            c = q2.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 2 * LANES), c);
            d = q2.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 2 * LANES), d);
            FloatVector q3 = v.lanewise(LSHR, 24).convert(I2F, 0).reinterpretAsFloats();
            a = q3.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 3 * LANES), a);
            b = q3.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 3 * LANES), b);
            c = q3.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 3 * LANES), c);
            d = q3.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 3 * LANES), d);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 4) >>> groupShift)
                            .rearrange(seg);
            ta = a.fma(scale, ta);
            tb = b.fma(scale, tb);
            tc = c.fma(scale, tc);
            td = d.fma(scale, td);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
        dots[2] = tc.reduceLanes(VectorOperators.ADD);
        dots[3] = td.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of one weight row with four activation
     * rows at once (2-bit codes): each code vector is decoded once for the four rows.
     */
    private static void tileWords2(
            int[] words,
            float[] x,
            int x0,
            int x1,
            int x2,
            int x3,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0x3);
        IntVector mask1 = IntVector.broadcast(INT, 0xc);
        IntVector mask2 = IntVector.broadcast(INT, 0x30);
        IntVector mask3 = IntVector.broadcast(INT, 0xc0);
        IntVector mask4 = IntVector.broadcast(INT, 0x300);
        IntVector mask5 = IntVector.broadcast(INT, 0xc00);
        IntVector mask6 = IntVector.broadcast(INT, 0x3000);
        IntVector mask7 = IntVector.broadcast(INT, 0xc000);
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        FloatVector tc = FloatVector.zero(FLOAT);
        FloatVector td = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            IntVector u = v.lanewise(LSHR, 16);
            int xo = t * LANES * 16;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a = q0.mul(FloatVector.fromArray(FLOAT, x, x0 + xo));
            FloatVector b = q0.mul(FloatVector.fromArray(FLOAT, x, x1 + xo));
            FloatVector c = q0.mul(FloatVector.fromArray(FLOAT, x, x2 + xo));
            FloatVector d = q0.mul(FloatVector.fromArray(FLOAT, x, x3 + xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            a = q1.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 1 * LANES), a);
            b = q1.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 1 * LANES), b);
            c = q1.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 1 * LANES), c);
            d = q1.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 1 * LANES), d);
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a = q2.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 2 * LANES), a);
            b = q2.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 2 * LANES), b);
            c = q2.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 2 * LANES), c);
            d = q2.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 2 * LANES), d);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a = q3.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 3 * LANES), a);
            b = q3.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 3 * LANES), b);
            c = q3.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 3 * LANES), c);
            d = q3.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 3 * LANES), d);
            FloatVector q4 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats();
            a = q4.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 4 * LANES), a);
            b = q4.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 4 * LANES), b);
            c = q4.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 4 * LANES), c);
            d = q4.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 4 * LANES), d);
            FloatVector q5 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats();
            a = q5.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 5 * LANES), a);
            b = q5.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 5 * LANES), b);
            c = q5.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 5 * LANES), c);
            d = q5.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 5 * LANES), d);
            FloatVector q6 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats();
            a = q6.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 6 * LANES), a);
            b = q6.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 6 * LANES), b);
            c = q6.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 6 * LANES), c);
            d = q6.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 6 * LANES), d);
            FloatVector q7 = v.and(mask7).convert(I2F, 0).reinterpretAsFloats();
            a = q7.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 7 * LANES), a);
            b = q7.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 7 * LANES), b);
            c = q7.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 7 * LANES), c);
            d = q7.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 7 * LANES), d);
            FloatVector q8 = u.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            a = q8.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 8 * LANES), a);
            b = q8.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 8 * LANES), b);
            c = q8.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 8 * LANES), c);
            d = q8.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 8 * LANES), d);
            FloatVector q9 = u.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            a = q9.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 9 * LANES), a);
            b = q9.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 9 * LANES), b);
            c = q9.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 9 * LANES), c);
            d = q9.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 9 * LANES), d);
            FloatVector q10 = u.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a = q10.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 10 * LANES), a);
            b = q10.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 10 * LANES), b);
            c = q10.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 10 * LANES), c);
            d = q10.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 10 * LANES), d);
            FloatVector q11 = u.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a = q11.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 11 * LANES), a);
            b = q11.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 11 * LANES), b);
            c = q11.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 11 * LANES), c);
            d = q11.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 11 * LANES), d);
            FloatVector q12 = u.and(mask4).convert(I2F, 0).reinterpretAsFloats();
            a = q12.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 12 * LANES), a);
            b = q12.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 12 * LANES), b);
            c = q12.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 12 * LANES), c);
            d = q12.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 12 * LANES), d);
            FloatVector q13 = u.and(mask5).convert(I2F, 0).reinterpretAsFloats();
            a = q13.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 13 * LANES), a);
            b = q13.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 13 * LANES), b);
            c = q13.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 13 * LANES), c);
            d = q13.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 13 * LANES), d);
            FloatVector q14 = u.and(mask6).convert(I2F, 0).reinterpretAsFloats();
            a = q14.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 14 * LANES), a);
            b = q14.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 14 * LANES), b);
            c = q14.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 14 * LANES), c);
            d = q14.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 14 * LANES), d);
            FloatVector q15 = u.and(mask7).convert(I2F, 0).reinterpretAsFloats();
            a = q15.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 15 * LANES), a);
            b = q15.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 15 * LANES), b);
            c = q15.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 15 * LANES), c);
            d = q15.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 15 * LANES), d);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 16) >>> groupShift)
                            .rearrange(seg);
            ta = a.fma(scale, ta);
            tb = b.fma(scale, tb);
            tc = c.fma(scale, tc);
            td = d.fma(scale, td);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
        dots[2] = tc.reduceLanes(VectorOperators.ADD);
        dots[3] = td.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of one weight row with four activation
     * rows at once (3-bit codes): each code vector is decoded once for the four rows.
     */
    private static void tileBytes3(
            byte[] bytes,
            float[] x,
            int x0,
            int x1,
            int x2,
            int x3,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0x7);
        IntVector mask1 = IntVector.broadcast(INT, 0x38);
        IntVector mask2 = IntVector.broadcast(INT, 0x1c0);
        IntVector mask3 = IntVector.broadcast(INT, 0xe00);
        IntVector mask4 = IntVector.broadcast(INT, 0x7000);
        IntVector mask5 = IntVector.broadcast(INT, 0x38000);
        IntVector mask6 = IntVector.broadcast(INT, 0x1c0000);
        IntVector mask7 = IntVector.broadcast(INT, 0xe00000);
        int stepBytes = LANES * 3;
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        FloatVector tc = FloatVector.zero(FLOAT);
        FloatVector td = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_3)
                            .reinterpretAsInts();
            int xo = t * LANES * 8;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a = q0.mul(FloatVector.fromArray(FLOAT, x, x0 + xo));
            FloatVector b = q0.mul(FloatVector.fromArray(FLOAT, x, x1 + xo));
            FloatVector c = q0.mul(FloatVector.fromArray(FLOAT, x, x2 + xo));
            FloatVector d = q0.mul(FloatVector.fromArray(FLOAT, x, x3 + xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            a = q1.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 1 * LANES), a);
            b = q1.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 1 * LANES), b);
            c = q1.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 1 * LANES), c);
            d = q1.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 1 * LANES), d);
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a = q2.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 2 * LANES), a);
            b = q2.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 2 * LANES), b);
            c = q2.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 2 * LANES), c);
            d = q2.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 2 * LANES), d);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a = q3.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 3 * LANES), a);
            b = q3.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 3 * LANES), b);
            c = q3.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 3 * LANES), c);
            d = q3.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 3 * LANES), d);
            FloatVector q4 = v.and(mask4).convert(I2F, 0).reinterpretAsFloats();
            a = q4.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 4 * LANES), a);
            b = q4.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 4 * LANES), b);
            c = q4.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 4 * LANES), c);
            d = q4.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 4 * LANES), d);
            FloatVector q5 = v.and(mask5).convert(I2F, 0).reinterpretAsFloats();
            a = q5.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 5 * LANES), a);
            b = q5.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 5 * LANES), b);
            c = q5.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 5 * LANES), c);
            d = q5.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 5 * LANES), d);
            FloatVector q6 = v.and(mask6).convert(I2F, 0).reinterpretAsFloats();
            a = q6.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 6 * LANES), a);
            b = q6.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 6 * LANES), b);
            c = q6.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 6 * LANES), c);
            d = q6.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 6 * LANES), d);
            FloatVector q7 = v.and(mask7).convert(I2F, 0).reinterpretAsFloats();
            a = q7.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 7 * LANES), a);
            b = q7.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 7 * LANES), b);
            c = q7.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 7 * LANES), c);
            d = q7.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 7 * LANES), d);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 8) >>> groupShift)
                            .rearrange(seg);
            ta = a.fma(scale, ta);
            tb = b.fma(scale, tb);
            tc = c.fma(scale, tc);
            td = d.fma(scale, td);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
        dots[2] = tc.reduceLanes(VectorOperators.ADD);
        dots[3] = td.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of one weight row with four activation
     * rows at once (6-bit codes): each code vector is decoded once for the four rows.
     */
    private static void tileBytes6(
            byte[] bytes,
            float[] x,
            int x0,
            int x1,
            int x2,
            int x3,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0x3f);
        IntVector mask1 = IntVector.broadcast(INT, 0xfc0);
        IntVector mask2 = IntVector.broadcast(INT, 0x3f000);
        IntVector mask3 = IntVector.broadcast(INT, 0xfc0000);
        int stepBytes = LANES * 3;
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        FloatVector tc = FloatVector.zero(FLOAT);
        FloatVector td = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_6)
                            .reinterpretAsInts();
            int xo = t * LANES * 4;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a = q0.mul(FloatVector.fromArray(FLOAT, x, x0 + xo));
            FloatVector b = q0.mul(FloatVector.fromArray(FLOAT, x, x1 + xo));
            FloatVector c = q0.mul(FloatVector.fromArray(FLOAT, x, x2 + xo));
            FloatVector d = q0.mul(FloatVector.fromArray(FLOAT, x, x3 + xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            a = q1.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 1 * LANES), a);
            b = q1.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 1 * LANES), b);
            c = q1.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 1 * LANES), c);
            d = q1.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 1 * LANES), d);
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a = q2.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 2 * LANES), a);
            b = q2.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 2 * LANES), b);
            c = q2.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 2 * LANES), c);
            d = q2.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 2 * LANES), d);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a = q3.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 3 * LANES), a);
            b = q3.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 3 * LANES), b);
            c = q3.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 3 * LANES), c);
            d = q3.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 3 * LANES), d);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 4) >>> groupShift)
                            .rearrange(seg);
            ta = a.fma(scale, ta);
            tb = b.fma(scale, tb);
            tc = c.fma(scale, tc);
            td = d.fma(scale, td);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
        dots[2] = tc.reduceLanes(VectorOperators.ADD);
        dots[3] = td.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of one weight row with four activation
     * rows at once (5-bit codes): each code vector is decoded once for the four rows.
     */
    private static void tileBytes5(
            byte[] bytes,
            float[] x,
            int x0,
            int x1,
            int x2,
            int x3,
            float[] scales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0x1f);
        IntVector mask1 = IntVector.broadcast(INT, 0x3e0);
        IntVector mask2 = IntVector.broadcast(INT, 0x7c00);
        IntVector mask3 = IntVector.broadcast(INT, 0xf8000);
        IntVector shifts = IntVector.fromArray(INT, UNIT_SHIFTS_5, 0);
        int stepBytes = LANES * 20 / 8;
        FloatVector ta = FloatVector.zero(FLOAT);
        FloatVector tb = FloatVector.zero(FLOAT);
        FloatVector tc = FloatVector.zero(FLOAT);
        FloatVector td = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v =
                    ByteVector.fromArray(BYTE, bytes, t * stepBytes)
                            .rearrange(UNIT_SHUFFLE_5)
                            .reinterpretAsInts()
                            .lanewise(LSHR, shifts);
            int xo = t * LANES * 4;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a = q0.mul(FloatVector.fromArray(FLOAT, x, x0 + xo));
            FloatVector b = q0.mul(FloatVector.fromArray(FLOAT, x, x1 + xo));
            FloatVector c = q0.mul(FloatVector.fromArray(FLOAT, x, x2 + xo));
            FloatVector d = q0.mul(FloatVector.fromArray(FLOAT, x, x3 + xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            a = q1.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 1 * LANES), a);
            b = q1.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 1 * LANES), b);
            c = q1.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 1 * LANES), c);
            d = q1.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 1 * LANES), d);
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a = q2.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 2 * LANES), a);
            b = q2.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 2 * LANES), b);
            c = q2.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 2 * LANES), c);
            d = q2.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 2 * LANES), d);
            FloatVector q3 = v.and(mask3).convert(I2F, 0).reinterpretAsFloats();
            a = q3.fma(FloatVector.fromArray(FLOAT, x, x0 + xo + 3 * LANES), a);
            b = q3.fma(FloatVector.fromArray(FLOAT, x, x1 + xo + 3 * LANES), b);
            c = q3.fma(FloatVector.fromArray(FLOAT, x, x2 + xo + 3 * LANES), c);
            d = q3.fma(FloatVector.fromArray(FLOAT, x, x3 + xo + 3 * LANES), d);
            FloatVector scale =
                    FloatVector.fromArray(FLOAT, scales, (t * LANES * 4) >>> groupShift)
                            .rearrange(seg);
            ta = a.fma(scale, ta);
            tb = b.fma(scale, tb);
            tc = c.fma(scale, tc);
            td = d.fma(scale, td);
        }
        dots[0] = ta.reduceLanes(VectorOperators.ADD);
        dots[1] = tb.reduceLanes(VectorOperators.ADD);
        dots[2] = tc.reduceLanes(VectorOperators.ADD);
        dots[3] = td.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Computes {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} of two weight rows with four activation
     * rows at once (8-bit codes; the second row's copy starts at {@code second}, its scales at
     * {@code secondScales}): each code vector is decoded once for four activation rows and each
     * activation vector is loaded once for both weight rows. {@code dots} receives the first row's
     * four dot products, then the second row's.
     */
    private static void pairTileWords8(
            int[] words,
            int second,
            float[] x,
            int x0,
            int x1,
            int x2,
            int x3,
            float[] scales,
            int secondScales,
            int steps,
            int groupShift,
            VectorShuffle<Float> seg,
            float[] dots) {
        IntVector mask0 = IntVector.broadcast(INT, 0xff);
        IntVector mask1 = IntVector.broadcast(INT, 0xff00);
        IntVector mask2 = IntVector.broadcast(INT, 0xff0000);
        FloatVector ta0 = FloatVector.zero(FLOAT);
        FloatVector ta1 = FloatVector.zero(FLOAT);
        FloatVector tb0 = FloatVector.zero(FLOAT);
        FloatVector tb1 = FloatVector.zero(FLOAT);
        FloatVector tc0 = FloatVector.zero(FLOAT);
        FloatVector tc1 = FloatVector.zero(FLOAT);
        FloatVector td0 = FloatVector.zero(FLOAT);
        FloatVector td1 = FloatVector.zero(FLOAT);
        for (int t = 0; t < steps; t++) {
            IntVector v = IntVector.fromArray(INT, words, t * LANES);
            IntVector w = IntVector.fromArray(INT, words, second + t * LANES);
            int xo = t * LANES * 4;
            FloatVector p = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector q = w.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector xa = FloatVector.fromArray(FLOAT, x, x0 + xo);
            FloatVector a0 = p.mul(xa);
            FloatVector a1 = q.mul(xa);
            FloatVector xb = FloatVector.fromArray(FLOAT, x, x1 + xo);
            FloatVector b0 = p.mul(xb);
            FloatVector b1 = q.mul(xb);
            FloatVector xc = FloatVector.fromArray(FLOAT, x, x2 + xo);
            FloatVector c0 = p.mul(xc);
            FloatVector c1 = q.mul(xc);
            FloatVector xd = FloatVector.fromArray(FLOAT, x, x3 + xo);
            FloatVector d0 = p.mul(xd);
            FloatVector d1 = q.mul(xd);
            p = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            q = w.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            xa = FloatVector.fromArray(FLOAT, x, x0 + xo + 1 * LANES);
            a0 = p.fma(xa, a0);
            a1 = q.fma(xa, a1);
            xb = FloatVector.fromArray(FLOAT, x, x1 + xo + 1 * LANES);
            b0 = p.fma(xb, b0);
            b1 = q.fma(xb, b1);
            xc = FloatVector.fromArray(FLOAT, x, x2 + xo + 1 * LANES);
            c0 = p.fma(xc, c0);
            c1 = q.fma(xc, c1);
            xd = FloatVector.fromArray(FLOAT, x, x3 + xo + 1 * LANES);
            d0 = p.fma(xd, d0);
            d1 = q.fma(xd, d1);
            p = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            q = w.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            xa = FloatVector.fromArray(FLOAT, x, x0 + xo + 2 * LANES);
            a0 = p.fma(xa, a0);
            a1 = q.fma(xa, a1);
            xb = FloatVector.fromArray(FLOAT, x, x1 + xo + 2 * LANES);
            b0 = p.fma(xb, b0);
            b1 = q.fma(xb, b1);
            xc = FloatVector.fromArray(FLOAT, x, x2 + xo + 2 * LANES);
            c0 = p.fma(xc, c0);
            c1 = q.fma(xc, c1);
            xd = FloatVector.fromArray(FLOAT, x, x3 + xo + 2 * LANES);
            d0 = p.fma(xd, d0);
            d1 = q.fma(xd, d1);
            p = v.lanewise(LSHR, 24).convert(I2F, 0).reinterpretAsFloats();
            q = w.lanewise(LSHR, 24).convert(I2F, 0).reinterpretAsFloats();
            xa = FloatVector.fromArray(FLOAT, x, x0 + xo + 3 * LANES);
            a0 = p.fma(xa, a0);
            a1 = q.fma(xa, a1);
            xb = FloatVector.fromArray(FLOAT, x, x1 + xo + 3 * LANES);
            b0 = p.fma(xb, b0);
            b1 = q.fma(xb, b1);
            xc = FloatVector.fromArray(FLOAT, x, x2 + xo + 3 * LANES);
            c0 = p.fma(xc, c0);
            c1 = q.fma(xc, c1);
            xd = FloatVector.fromArray(FLOAT, x, x3 + xo + 3 * LANES);
            d0 = p.fma(xd, d0);
            d1 = q.fma(xd, d1);
            int g = (t * LANES * 4) >>> groupShift;
            FloatVector s0 = FloatVector.fromArray(FLOAT, scales, g).rearrange(seg);
            FloatVector s1 = FloatVector.fromArray(FLOAT, scales, secondScales + g).rearrange(seg);
            ta0 = a0.fma(s0, ta0);
            ta1 = a1.fma(s1, ta1);
            tb0 = b0.fma(s0, tb0);
            tb1 = b1.fma(s1, tb1);
            tc0 = c0.fma(s0, tc0);
            tc1 = c1.fma(s1, tc1);
            td0 = d0.fma(s0, td0);
            td1 = d1.fma(s1, td1);
        }
        dots[0] = ta0.reduceLanes(VectorOperators.ADD);
        dots[1] = tb0.reduceLanes(VectorOperators.ADD);
        dots[2] = tc0.reduceLanes(VectorOperators.ADD);
        dots[3] = td0.reduceLanes(VectorOperators.ADD);
        dots[4] = ta1.reduceLanes(VectorOperators.ADD);
        dots[5] = tb1.reduceLanes(VectorOperators.ADD);
        dots[6] = tc1.reduceLanes(VectorOperators.ADD);
        dots[7] = td1.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void smallBatch(
            PackedMatrix w, float[] x, int m, float[] groupSums, FloatBuffer out, int n0, int n1) {
        LaneLayout layout = LaneLayout.of(w, LANES);
        Scratch scratch = SCRATCH.get().prepare(w, layout);
        VectorShuffle<Float> seg =
                VectorShuffle.fromArray(FLOAT, layout.sharedLaneGroupOffsets(), 0);
        int steps = layout.steps();
        int groupShift = layout.groupShift();
        int laid = layout.laidColumns();
        int groups = w.groups();
        int rows = w.rows();
        int bits = w.bits();
        boolean wordUnits = LaneLayout.wordUnits(bits);
        float[] scales = scratch.scales;
        float[] biases = scratch.biases;
        float[] dots = scratch.dots;
        int n = n0;
        if (bits == 8) {
            for (; n + 2 <= n1; n += 2) {
                pairSmallBatch(w, x, m, groupSums, out, n, layout, scratch, seg);
            }
        }
        for (; n < n1; n++) {
            w.copyScales(n, scales);
            w.copyBiases(n, biases);
            if (wordUnits) {
                w.copyRowWords(n, scratch.words);
            } else {
                w.copyRowBytes(n, scratch.bytes);
            }
            for (int i0 = 0; i0 < m; i0 += 4) {
                // a tile of four activation rows; past the last row, the last row is repeated
                int x0 = i0 * laid;
                int x1 = Math.min(i0 + 1, m - 1) * laid;
                int x2 = Math.min(i0 + 2, m - 1) * laid;
                int x3 = Math.min(i0 + 3, m - 1) * laid;
                switch (bits) {
                    case 2:
                        tileWords2(
                                scratch.words,
                                x,
                                x0,
                                x1,
                                x2,
                                x3,
                                scales,
                                steps,
                                groupShift,
                                seg,
                                dots);
                        break;
                    case 3:
                        tileBytes3(
                                scratch.bytes,
                                x,
                                x0,
                                x1,
                                x2,
                                x3,
                                scales,
                                steps,
                                groupShift,
                                seg,
                                dots);
                        break;
                    case 4:
                        tileWords4(
                                scratch.words,
                                x,
                                x0,
                                x1,
                                x2,
                                x3,
                                scales,
                                steps,
                                groupShift,
                                seg,
                                dots);
                        break;
                    case 5:
                        tileBytes5(
                                scratch.bytes,
                                x,
                                x0,
                                x1,
                                x2,
                                x3,
                                scales,
                                steps,
                                groupShift,
                                seg,
                                dots);
                        break;
                    case 6:
                        tileBytes6(
                                scratch.bytes,
                                x,
                                x0,
                                x1,
                                x2,
                                x3,
                                scales,
                                steps,
                                groupShift,
                                seg,
                                dots);
                        break;
                    default:
                        tileWords8(
                                scratch.words,
                                x,
                                x0,
                                x1,
                                x2,
                                x3,
                                scales,
                                steps,
                                groupShift,
                                seg,
                                dots);
                        break;
                }
                for (int j = 0; j < 4 && i0 + j < m; j++) {
                    int i = i0 + j;
                    float bias = biasTerm(biases, groupSums, i * groups, groups);
                    out.put(i * rows + n, dots[j] + bias);
                }
            }
        }
    }

    /**
     * The part of {@link #smallBatch} for weight rows {@code n} and {@code n + 1} of an 8-bit
     * weight, in tiles of two weight rows by four activation rows. (The 4-bit tile of the same
     * shape needs more vector registers than AVX-512 has and measured slower than one weight row by
     * four activation rows.)
     */
    private static void pairSmallBatch(
            PackedMatrix w,
            float[] x,
            int m,
            float[] groupSums,
            FloatBuffer out,
            int n,
            LaneLayout layout,
            Scratch scratch,
            VectorShuffle<Float> seg) {
        int steps = layout.steps();
        int groupShift = layout.groupShift();
        int laid = layout.laidColumns();
        int second = layout.paddedRowLength();
        int secondScales = layout.paddedGroups();
        int groups = w.groups();
        int rows = w.rows();
        int[] words = scratch.words;
        float[] scales = scratch.scales;
        float[] biases = scratch.biases;
        float[] dots = scratch.dots;
        w.copyScales(n, scales, 0);
        w.copyScales(n + 1, scales, secondScales);
        w.copyBiases(n, biases, 0);
        w.copyBiases(n + 1, biases, secondScales);
        w.copyRowWords(n, words, 0);
        w.copyRowWords(n + 1, words, second);
        for (int i0 = 0; i0 < m; i0 += 4) {
            // a tile of four activation rows; past the last row, the last row is repeated
            int x0 = i0 * laid;
            int x1 = Math.min(i0 + 1, m - 1) * laid;
            int x2 = Math.min(i0 + 2, m - 1) * laid;
            int x3 = Math.min(i0 + 3, m - 1) * laid;
            pairTileWords8(
                    words,
                    second,
                    x,
                    x0,
                    x1,
                    x2,
                    x3,
                    scales,
                    secondScales,
                    steps,
                    groupShift,
                    seg,
                    dots);
            for (int j = 0; j < 4 && i0 + j < m; j++) {
                int i = i0 + j;
                out.put(i * rows + n, dots[j] + biasTerm(biases, groupSums, i * groups, groups));
                out.put(
                        i * rows + n + 1,
                        dots[4 + j]
                                + biasTerm(biases, secondScales, groupSums, i * groups, groups));
            }
        }
    }

    @Override
    void dequantizeRow(PackedMatrix w, int row, float[] dst, int dstOffset) {
        LaneLayout layout = LaneLayout.of(w, LANES);
        Scratch scratch = SCRATCH.get().prepare(w, layout);
        VectorShuffle<Float> seg =
                VectorShuffle.fromArray(FLOAT, layout.sharedLaneGroupOffsets(), 0);
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
}
