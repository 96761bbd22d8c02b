package dev.djlmetal.backend.cpu;

import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.XOR;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD kernel on the incubating Vector API ({@code jdk.incubator.vector}). This is the only
 * class that refers to the module; {@link CpuKernels} loads it by name only when the module is in
 * the boot layer.
 *
 * <p>For 2, 4 and 8-bit codes whose group spans a whole number of vectors of {@code L} words, one
 * vector load brings {@code L} words and each decoding step yields {@code L} codes, code {@code s}
 * of every word. The activations are laid out to match (inside each block of {@code L} words,
 * element {@code j * 32/bits + s} is stored at {@code s * L + j}), so decoding needs no shuffles.
 * Other widths (3, 5 and 6 bits, whose codes straddle words) and narrow groups decode 8 codes at a
 * time in natural order with per-lane shift counts (see {@code rowStraddled}); with vectors of
 * another width than 8 lanes they decode with scalar code into a small buffer.
 *
 * <p>The matrix-vector path decodes code {@code s} with a single AND against the mask {@code
 * (2^bits - 1) << bits * s}, leaving it multiplied by {@code 2^(bits * s)}, and converts that to
 * float; the activation it meets was divided by the same power of two when it was laid out (see
 * {@link #codeScaleExponent}). Both scalings are exact, so the products are those of the shifted
 * codes, one instruction fewer per code.
 */
final class VectorKernel extends CpuKernel {

    private static final VectorSpecies<Integer> INT =
            IntVector.SPECIES_PREFERRED.vectorBitSize() > 256
                    ? IntVector.SPECIES_256
                    : IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FLOAT = INT.withLanes(float.class);
    private static final int LANES = INT.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    @Override
    String name() {
        return "vector-" + INT.vectorBitSize() + "bit";
    }

    /** Returns whether a weight uses the lane-interleaved decoding. */
    static boolean usesLaneLayout(PackedMatrix w) {
        int bits = w.bits();
        boolean wholeWords = bits == 2 || bits == 4 || bits == 8;
        return wholeWords && w.wordsPerGroup() % LANES == 0;
    }

    @Override
    void layoutActivations(FloatBuffer x, int m, PackedMatrix w, float[] dst) {
        int length = m * w.columns();
        if (!usesLaneLayout(w)) {
            x.get(0, dst, 0, length);
            return;
        }
        int perWord = 32 / w.bits();
        int block = LANES * perWord;
        for (int base = 0; base < length; base += block) {
            for (int j = 0; j < LANES; j++) {
                for (int s = 0; s < perWord; s++) {
                    dst[base + s * LANES + j] = x.get(base + j * perWord + s);
                }
            }
        }
    }

    @Override
    float[] matvecActivations(FloatBuffer x, PackedMatrix w) {
        float[] laid = layoutActivations(x, 1, w);
        if (!usesLaneLayout(w)) {
            return laid;
        }
        int bits = w.bits();
        int perWord = 32 / bits;
        float[] factors = new float[perWord];
        for (int s = 0; s < perWord; s++) {
            factors[s] = Math.scalb(1f, -codeScaleExponent(bits, s));
        }
        for (int base = 0; base < laid.length; base += LANES * perWord) {
            for (int s = 0; s < perWord; s++) {
                for (int j = 0; j < LANES; j++) {
                    laid[base + s * LANES + j] *= factors[s];
                }
            }
        }
        return laid;
    }

    /**
     * Returns {@code e} such that the matrix-vector decoding of code {@code s} of a word yields
     * {@code code * 2^e}: 2-bit codes 8 to 15 come from the word shifted right by 16 and the last
     * 4-bit and 8-bit codes from a shift to the bottom, every other code stays in place.
     *
     * @param bits 2, 4 or 8
     * @param s the code's position in its word
     * @return the exponent
     */
    static int codeScaleExponent(int bits, int s) {
        int perWord = 32 / bits;
        if (bits == 2) {
            return 2 * (s % 8);
        }
        return s == perWord - 1 ? 0 : bits * s;
    }

    @Override
    void matvec(PackedMatrix w, float[] x, float[] groupSums, FloatBuffer out, int n0, int n1) {
        boolean lanes = usesLaneLayout(w);
        boolean straddled = !lanes && LANES == STRADDLE_LANES;
        float[] codes = new float[w.groupSize()];
        float[] scales = new float[w.groups()];
        int[] words = straddled ? new int[w.wordsPerRow() + 2] : null;
        StraddleTables tables = straddled ? StraddleTables.of(w.bits()) : null;
        for (int n = n0; n < n1; n++) {
            float dot;
            if (straddled) {
                w.copyScales(n, scales);
                w.copyRowWords(n, words);
                dot = rowStraddled(w, x, scales, words, tables);
            } else if (!lanes) {
                dot = rowDecoded(w, n, x, codes);
            } else {
                w.copyScales(n, scales);
                if (w.bits() == 4) {
                    dot = rowLanes4(w, n, x, scales);
                } else if (w.bits() == 8) {
                    dot = rowLanes8(w, n, x, scales);
                } else {
                    dot = rowLanes2(w, n, x, scales);
                }
            }
            out.put(n, dot + biasTerm(w, n, groupSums));
        }
    }

    /** Returns {@code sum_g bias[n, g] * groupSums[g]}. */
    private static float biasTerm(PackedMatrix w, int n, float[] groupSums) {
        ByteBuffer biases = w.biasBytes();
        int offset = w.groupByteOffset(n);
        int groups = w.groups();
        FloatVector acc = FloatVector.zero(FLOAT);
        int g = 0;
        for (; g + LANES <= groups; g += LANES) {
            FloatVector b = FloatVector.fromByteBuffer(FLOAT, biases, offset + g * 4, ORDER);
            acc = b.fma(FloatVector.fromArray(FLOAT, groupSums, g), acc);
        }
        float total = acc.reduceLanes(VectorOperators.ADD);
        for (; g < groups; g++) {
            total += biases.getFloat(offset + g * 4) * groupSums[g];
        }
        return total;
    }

    /*
     * Code generation notes (JDK 17 C2): every vector value must be provably unboxed, so
     *  - masks and shift counts are constants and the codes of one word are unrolled (one method
     *    per width),
     *  - no buffer is read inside the loops other than the vector loads: a scalar ByteBuffer or
     *    FloatBuffer read there stayed a call that spilled every vector register to the stack,
     *  - vectors are live across one loop level only (a loop nest with vector phis makes C2 box
     *    them and allocate hundreds of megabytes per product),
     *  - codes become floats through reinterpretAsFloats(), not a cast, which hides the exact type,
     *  - vector expressions are written inline rather than in helper methods: a helper that C2
     *    already compiled on its own is too big to inline and then returns boxed vectors,
     *  - the hot loops sit in per-row methods, so that C2 compiles them as whole methods rather
     *    than entering them on-stack with vectors that the interpreter already boxed.
     */

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 4-bit codes (8 per word), with
     * {@code x} from {@link #matvecActivations} and the row's scales copied to {@code scales} (a
     * buffer read inside the loop is a call that spills every vector register).
     */
    private static float rowLanes4(PackedMatrix w, int n, float[] x, float[] scales) {
        IntVector mask0 = IntVector.broadcast(INT, 0xF);
        IntVector mask1 = IntVector.broadcast(INT, 0xF0);
        IntVector mask2 = IntVector.broadcast(INT, 0xF00);
        IntVector mask3 = IntVector.broadcast(INT, 0xF000);
        IntVector mask4 = IntVector.broadcast(INT, 0xF0000);
        IntVector mask5 = IntVector.broadcast(INT, 0xF00000);
        IntVector mask6 = IntVector.broadcast(INT, 0xF000000);
        ByteBuffer packed = w.packed();
        int offset = w.rowByteOffset(n);
        int chunks = w.wordsPerRow() / LANES;
        int groupShift = Integer.numberOfTrailingZeros(w.wordsPerGroup() / LANES);
        FloatVector total = FloatVector.zero(FLOAT);
        for (int c = 0; c < chunks; c++) {
            IntVector v = IntVector.fromByteBuffer(INT, packed, offset + c * LANES * 4, ORDER);
            int xo = c * LANES * 8;
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
            float scale = scales[c >> groupShift];
            total = a0.add(a1).fma(FloatVector.broadcast(FLOAT, scale), total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 8-bit codes (4 per word), with
     * {@code x} from {@link #matvecActivations} and the row's scales copied to {@code scales} (a
     * buffer read inside the loop is a call that spills every vector register).
     */
    private static float rowLanes8(PackedMatrix w, int n, float[] x, float[] scales) {
        IntVector mask0 = IntVector.broadcast(INT, 0xFF);
        IntVector mask1 = IntVector.broadcast(INT, 0xFF00);
        IntVector mask2 = IntVector.broadcast(INT, 0xFF0000);
        ByteBuffer packed = w.packed();
        int offset = w.rowByteOffset(n);
        int chunks = w.wordsPerRow() / LANES;
        int groupShift = Integer.numberOfTrailingZeros(w.wordsPerGroup() / LANES);
        FloatVector total = FloatVector.zero(FLOAT);
        for (int c = 0; c < chunks; c++) {
            IntVector v = IntVector.fromByteBuffer(INT, packed, offset + c * LANES * 4, ORDER);
            int xo = c * LANES * 4;
            FloatVector q0 = v.and(mask0).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a0 = q0.mul(FloatVector.fromArray(FLOAT, x, xo));
            FloatVector q1 = v.and(mask1).convert(I2F, 0).reinterpretAsFloats();
            FloatVector a1 = q1.mul(FloatVector.fromArray(FLOAT, x, xo + LANES));
            FloatVector q2 = v.and(mask2).convert(I2F, 0).reinterpretAsFloats();
            a0 = q2.fma(FloatVector.fromArray(FLOAT, x, xo + 2 * LANES), a0);
            FloatVector q3 = v.lanewise(LSHR, 24).convert(I2F, 0).reinterpretAsFloats();
            a1 = q3.fma(FloatVector.fromArray(FLOAT, x, xo + 3 * LANES), a1);
            float scale = scales[c >> groupShift];
            total = a0.add(a1).fma(FloatVector.broadcast(FLOAT, scale), total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for 2-bit codes (16 per word), with
     * {@code x} from {@link #matvecActivations}: codes 0 to 7 are masked in place, codes 8 to 15 in
     * the word shifted right by 16.
     */
    private static float rowLanes2(PackedMatrix w, int n, float[] x, float[] scales) {
        IntVector mask0 = IntVector.broadcast(INT, 0x3);
        IntVector mask1 = IntVector.broadcast(INT, 0xC);
        IntVector mask2 = IntVector.broadcast(INT, 0x30);
        IntVector mask3 = IntVector.broadcast(INT, 0xC0);
        IntVector mask4 = IntVector.broadcast(INT, 0x300);
        IntVector mask5 = IntVector.broadcast(INT, 0xC00);
        IntVector mask6 = IntVector.broadcast(INT, 0x3000);
        IntVector mask7 = IntVector.broadcast(INT, 0xC000);
        ByteBuffer packed = w.packed();
        int offset = w.rowByteOffset(n);
        int chunks = w.wordsPerRow() / LANES;
        int groupShift = Integer.numberOfTrailingZeros(w.wordsPerGroup() / LANES);
        FloatVector total = FloatVector.zero(FLOAT);
        for (int c = 0; c < chunks; c++) {
            IntVector v = IntVector.fromByteBuffer(INT, packed, offset + c * LANES * 4, ORDER);
            IntVector u = v.lanewise(LSHR, 16);
            int xo = c * LANES * 16;
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
            float scale = scales[c >> groupShift];
            total = a0.add(a1).fma(FloatVector.broadcast(FLOAT, scale), total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /** The vector width, in lanes, that the straddled decoding is written for. */
    private static final int STRADDLE_LANES = 8;

    /** A per-thread copy of one row's packed words (with padding) for the straddled decoding. */
    private static final ThreadLocal<int[]> ROW_WORDS = ThreadLocal.withInitial(() -> new int[0]);

    /**
     * Where the codes of one 32-code block sit ({@code bits} words hold exactly 32 codes), for
     * decoding 8 codes per step in natural order: step {@code b} reads words {@code first[b]},
     * {@code first[b] + 1} and {@code first[b] + 2} of the block; lane {@code i} takes its code
     * from the low word {@code first[b] + (select ? 1 : 0)} shifted right by {@code shift},
     * completed by the next word when the code straddles the two.
     */
    private static final class StraddleTables {

        private static final StraddleTables[] BY_BITS = new StraddleTables[9];

        static {
            for (int bits = 1; bits < BY_BITS.length; bits++) {
                BY_BITS[bits] = new StraddleTables(bits);
            }
        }

        final int[] first = new int[4];
        final int[] shift = new int[32];
        final int[] highShift = new int[32];
        final int[] select = new int[32];

        private StraddleTables(int bits) {
            for (int b = 0; b < 4; b++) {
                first[b] = 8 * b * bits >>> 5;
                for (int i = 0; i < 8; i++) {
                    int bit = (8 * b + i) * bits;
                    shift[8 * b + i] = bit & 31;
                    // the high word is shifted left by 1 and then by 31 - shift: by 32 - shift in
                    // all, and by nothing that survives the mask when shift is 0
                    highShift[8 * b + i] = 31 - (bit & 31);
                    select[8 * b + i] = (bit >>> 5) == first[b] ? 0 : -1;
                }
            }
        }

        static StraddleTables of(int bits) {
            return BY_BITS[bits];
        }
    }

    /**
     * Returns {@code sum_g scale[n, g] * dot(x_g, q[n]_g)} for codes of any width, decoded 8 at a
     * time in natural order from the row's words copied to {@code words} (with two words of
     * padding): the low and high word of every lane are picked from three broadcast words and
     * shifted by per-lane counts. Used for 3, 5 and 6 bits, whose codes straddle words, and for
     * groups too narrow for the lane-interleaved decoding.
     */
    private static float rowStraddled(
            PackedMatrix w, float[] x, float[] scales, int[] words, StraddleTables t) {
        IntVector mask = IntVector.broadcast(INT, (1 << w.bits()) - 1);
        int bits = w.bits();
        int blocks = w.columns() / 32;
        int groupShift = Integer.numberOfTrailingZeros(w.groupSize() / 32);
        int[] shift = t.shift;
        int[] highShift = t.highShift;
        int[] select = t.select;
        int f1 = t.first[1];
        int f2 = t.first[2];
        int f3 = t.first[3];
        FloatVector total = FloatVector.zero(FLOAT);
        for (int b = 0; b < blocks; b++) {
            int base = b * bits;
            int xo = b * 32;
            IntVector w0 = IntVector.broadcast(INT, words[base]);
            IntVector w1 = IntVector.broadcast(INT, words[base + 1]);
            IntVector w2 = IntVector.broadcast(INT, words[base + 2]);
            IntVector sel = IntVector.fromArray(INT, select, 0);
            IntVector lo = w0.lanewise(XOR, w0.lanewise(XOR, w1).and(sel));
            IntVector hi = w1.lanewise(XOR, w1.lanewise(XOR, w2).and(sel));
            IntVector code =
                    lo.lanewise(LSHR, IntVector.fromArray(INT, shift, 0))
                            .or(
                                    hi.lanewise(LSHL, 1)
                                            .lanewise(LSHL, IntVector.fromArray(INT, highShift, 0)))
                            .and(mask);
            FloatVector q0 = code.convert(I2F, 0).reinterpretAsFloats();
            FloatVector a0 = q0.mul(FloatVector.fromArray(FLOAT, x, xo));

            w0 = IntVector.broadcast(INT, words[base + f1]);
            w1 = IntVector.broadcast(INT, words[base + f1 + 1]);
            w2 = IntVector.broadcast(INT, words[base + f1 + 2]);
            sel = IntVector.fromArray(INT, select, 8);
            lo = w0.lanewise(XOR, w0.lanewise(XOR, w1).and(sel));
            hi = w1.lanewise(XOR, w1.lanewise(XOR, w2).and(sel));
            code =
                    lo.lanewise(LSHR, IntVector.fromArray(INT, shift, 8))
                            .or(
                                    hi.lanewise(LSHL, 1)
                                            .lanewise(LSHL, IntVector.fromArray(INT, highShift, 8)))
                            .and(mask);
            FloatVector q1 = code.convert(I2F, 0).reinterpretAsFloats();
            FloatVector a1 = q1.mul(FloatVector.fromArray(FLOAT, x, xo + 8));

            w0 = IntVector.broadcast(INT, words[base + f2]);
            w1 = IntVector.broadcast(INT, words[base + f2 + 1]);
            w2 = IntVector.broadcast(INT, words[base + f2 + 2]);
            sel = IntVector.fromArray(INT, select, 16);
            lo = w0.lanewise(XOR, w0.lanewise(XOR, w1).and(sel));
            hi = w1.lanewise(XOR, w1.lanewise(XOR, w2).and(sel));
            code =
                    lo.lanewise(LSHR, IntVector.fromArray(INT, shift, 16))
                            .or(
                                    hi.lanewise(LSHL, 1)
                                            .lanewise(
                                                    LSHL, IntVector.fromArray(INT, highShift, 16)))
                            .and(mask);
            FloatVector q2 = code.convert(I2F, 0).reinterpretAsFloats();
            a0 = q2.fma(FloatVector.fromArray(FLOAT, x, xo + 16), a0);

            w0 = IntVector.broadcast(INT, words[base + f3]);
            w1 = IntVector.broadcast(INT, words[base + f3 + 1]);
            w2 = IntVector.broadcast(INT, words[base + f3 + 2]);
            sel = IntVector.fromArray(INT, select, 24);
            lo = w0.lanewise(XOR, w0.lanewise(XOR, w1).and(sel));
            hi = w1.lanewise(XOR, w1.lanewise(XOR, w2).and(sel));
            code =
                    lo.lanewise(LSHR, IntVector.fromArray(INT, shift, 24))
                            .or(
                                    hi.lanewise(LSHL, 1)
                                            .lanewise(
                                                    LSHL, IntVector.fromArray(INT, highShift, 24)))
                            .and(mask);
            FloatVector q3 = code.convert(I2F, 0).reinterpretAsFloats();
            a1 = q3.fma(FloatVector.fromArray(FLOAT, x, xo + 24), a1);

            float scale = scales[b >> groupShift];
            total = a0.add(a1).fma(FloatVector.broadcast(FLOAT, scale), total);
        }
        return total.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Decodes each group with scalar code and dots it with SIMD (vectors narrower than 8 lanes).
     */
    private static float rowDecoded(PackedMatrix w, int n, float[] x, float[] codes) {
        int groupSize = w.groupSize();
        int rowOffset = w.rowByteOffset(n);
        float total = 0;
        for (int g = 0; g < w.groups(); g++) {
            int base = g * groupSize;
            CodeDecoder.decode(w.packed(), rowOffset, base, groupSize, w.bits(), codes, 0);
            total += w.scale(n, g) * dot(codes, 0, x, base, groupSize);
        }
        return total;
    }

    @Override
    void blocked(PackedMatrix w, float[] x, int m, FloatBuffer out, int n0, int n1) {
        int k = w.columns();
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
        if (usesLaneLayout(w)) {
            dequantizeLanes(w, row, dst, dstOffset);
        } else if (LANES == STRADDLE_LANES) {
            dequantizeStraddled(w, row, dst, dstOffset);
        } else {
            CodeDecoder.dequantizeRow(w, row, dst, dstOffset);
        }
    }

    /** Dequantizes one row in natural order with the decoding of {@link #rowStraddled}. */
    private static void dequantizeStraddled(PackedMatrix w, int row, float[] dst, int dstOffset) {
        int wordsPerRow = w.wordsPerRow();
        int[] words = ROW_WORDS.get();
        if (words.length < wordsPerRow + 2) {
            words = new int[wordsPerRow + 2];
            ROW_WORDS.set(words);
        }
        w.copyRowWords(row, words);
        StraddleTables t = StraddleTables.of(w.bits());
        IntVector mask = IntVector.broadcast(INT, (1 << w.bits()) - 1);
        int bits = w.bits();
        int blocks = w.columns() / 32;
        int groupShift = Integer.numberOfTrailingZeros(w.groupSize() / 32);
        for (int b = 0; b < blocks; b++) {
            float scale = w.scale(row, b >> groupShift);
            float bias = w.bias(row, b >> groupShift);
            for (int step = 0; step < 4; step++) {
                int a = b * bits + t.first[step];
                IntVector w0 = IntVector.broadcast(INT, words[a]);
                IntVector w1 = IntVector.broadcast(INT, words[a + 1]);
                IntVector w2 = IntVector.broadcast(INT, words[a + 2]);
                IntVector sel = IntVector.fromArray(INT, t.select, step * 8);
                IntVector lo = w0.lanewise(XOR, w0.lanewise(XOR, w1).and(sel));
                IntVector hi = w1.lanewise(XOR, w1.lanewise(XOR, w2).and(sel));
                IntVector code =
                        lo.lanewise(LSHR, IntVector.fromArray(INT, t.shift, step * 8))
                                .or(
                                        hi.lanewise(LSHL, 1)
                                                .lanewise(
                                                        LSHL,
                                                        IntVector.fromArray(
                                                                INT, t.highShift, step * 8)))
                                .and(mask);
                code.convert(I2F, 0)
                        .reinterpretAsFloats()
                        .fma(
                                FloatVector.broadcast(FLOAT, scale),
                                FloatVector.broadcast(FLOAT, bias))
                        .intoArray(dst, dstOffset + b * 32 + step * 8);
            }
        }
    }

    /** Dequantizes one row in lane layout: {@code code * scale + bias}, one vector per shift. */
    private static void dequantizeLanes(PackedMatrix w, int row, float[] dst, int dstOffset) {
        int bits = w.bits();
        int perWord = 32 / bits;
        int chunks = w.wordsPerRow() / LANES;
        int chunksPerGroup = w.wordsPerGroup() / LANES;
        ByteBuffer packed = w.packed();
        int offset = w.rowByteOffset(row);
        IntVector mask = IntVector.broadcast(INT, (1 << bits) - 1);
        int o = dstOffset;
        for (int c = 0; c < chunks; c++) {
            int g = c / chunksPerGroup;
            FloatVector scale = FloatVector.broadcast(FLOAT, w.scale(row, g));
            FloatVector bias = FloatVector.broadcast(FLOAT, w.bias(row, g));
            IntVector words = IntVector.fromByteBuffer(INT, packed, offset + c * LANES * 4, ORDER);
            for (int i = 0; i < perWord; i++) {
                FloatVector q =
                        words.lanewise(LSHR, i * bits)
                                .and(mask)
                                .convert(I2F, 0)
                                .reinterpretAsFloats();
                q.fma(scale, bias).intoArray(dst, o);
                o += LANES;
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
