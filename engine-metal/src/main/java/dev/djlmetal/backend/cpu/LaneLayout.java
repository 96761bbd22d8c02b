package dev.djlmetal.backend.cpu;

import java.nio.FloatBuffer;

/**
 * How the vector kernel walks one weight with vectors of {@code lanes} 32-bit lanes, for any code
 * width, group size and vector width (this class does not touch the Vector API, so it is tested on
 * every JVM).
 *
 * <p>Every lane decodes a <i>unit</i>: {@link #codesPerLane()} consecutive codes that fit in 32
 * bits. For 2, 4 and 8 bits a unit is one packed word (16, 8 or 4 codes). For 3, 5 and 6 bits,
 * whose codes straddle words, a unit is 8 codes in 3 bytes (3 bits), or 4 codes in 3 bytes (6 bits)
 * or in 2.5 bytes (5 bits, odd units starting at bit 4 of their first byte); a byte shuffle puts
 * each unit's bytes in its lane. One <i>step</i> decodes {@code lanes} consecutive units, {@link
 * #stepCodes()} codes, and code {@code s} of lane {@code i} meets activation {@code s * lanes + i}
 * of the step in the kernel's layout ({@link #laidIndex}), so decoding needs no shuffle of the
 * codes themselves.
 *
 * <p>Rows whose length is not a multiple of {@link #stepCodes()} are padded with zero codes and
 * zero activations up to {@link #laidColumns()}. A step may span several quantization groups (wide
 * vectors, small groups): lane {@code i} then takes the scale and bias of group {@link
 * #laneGroupOffsets()}{@code [i]} after the step's first group.
 */
final class LaneLayout {

    private final int bits;
    private final int lanes;
    private final int codesPerLane;
    private final int stepCodes;
    private final int steps;
    private final int groupSize;
    private final int groupShift;
    private final int[] laneGroupOffsets;
    private final float[] matvecFactors;

    private LaneLayout(int bits, int lanes, int columns, int groupSize) {
        if (Integer.bitCount(lanes) != 1 || lanes < 2) {
            throw new IllegalArgumentException("Lanes must be a power of two, got " + lanes);
        }
        if (Integer.bitCount(groupSize) != 1 || groupSize < 32) {
            throw new IllegalArgumentException(
                    "The group size must be a power of two of at least 32, got " + groupSize);
        }
        this.bits = bits;
        this.lanes = lanes;
        this.codesPerLane = codesPerLane(bits);
        this.stepCodes = lanes * codesPerLane;
        this.steps = (columns + stepCodes - 1) / stepCodes;
        this.groupSize = groupSize;
        this.groupShift = Integer.numberOfTrailingZeros(groupSize);
        this.laneGroupOffsets = new int[lanes];
        for (int i = 0; i < lanes; i++) {
            laneGroupOffsets[i] = stepCodes > groupSize ? (i * codesPerLane) >>> groupShift : 0;
        }
        this.matvecFactors = new float[codesPerLane];
        for (int s = 0; s < codesPerLane; s++) {
            matvecFactors[s] = Math.scalb(1f, -codeExponent(bits, s));
        }
    }

    /**
     * Returns the layout of a weight for vectors of {@code lanes} lanes.
     *
     * @param w the weight
     * @param lanes the 32-bit lanes per vector (a power of two)
     * @return the layout
     */
    static LaneLayout of(PackedMatrix w, int lanes) {
        return w.layout(lanes);
    }

    /**
     * Returns the layout of a weight shape for vectors of {@code lanes} lanes.
     *
     * @param bits the code width (2, 3, 4, 5, 6 or 8)
     * @param lanes the 32-bit lanes per vector (a power of two)
     * @param columns K, a multiple of the group size
     * @param groupSize the group size (a power of two, at least 32)
     * @return the layout
     */
    static LaneLayout of(int bits, int lanes, int columns, int groupSize) {
        return new LaneLayout(bits, lanes, columns, groupSize);
    }

    /**
     * Returns the number of codes one lane decodes per step.
     *
     * @param bits the code width
     * @return 16 (2 bits), 8 (3 and 4 bits) or 4 (5, 6 and 8 bits)
     * @throws IllegalArgumentException for another width
     */
    static int codesPerLane(int bits) {
        switch (bits) {
            case 2:
                return 16;
            case 3:
            case 4:
                return 8;
            case 5:
            case 6:
            case 8:
                return 4;
            default:
                throw new IllegalArgumentException("No lane layout for " + bits + "-bit codes");
        }
    }

    /**
     * Returns whether units are whole packed words (2, 4 and 8 bits) rather than byte runs picked
     * by a shuffle (3, 5 and 6 bits).
     *
     * @param bits the code width
     * @return true for 2, 4 and 8 bits
     */
    static boolean wordUnits(int bits) {
        return 32 % bits == 0;
    }

    /**
     * Returns, for byte-run units, which byte of a step's packed bytes lands in each byte of the
     * lanes: byte {@code j} (0 to 3, little-endian) of lane {@code i} is byte {@code (i *
     * codesPerLane * bits) / 8 + j} of the step. The last bytes of a lane belong to the next unit
     * and are masked off by the decoding.
     *
     * @param bits 3, 5 or 6
     * @param lanes the lanes per vector
     * @return {@code 4 * lanes} indexes into the step's bytes
     */
    static int[] unitByteShuffle(int bits, int lanes) {
        int perLane = codesPerLane(bits);
        int[] indexes = new int[4 * lanes];
        for (int i = 0; i < lanes; i++) {
            int first = i * perLane * bits / 8;
            for (int j = 0; j < 4; j++) {
                indexes[4 * i + j] = first + j;
            }
        }
        return indexes;
    }

    /**
     * Returns, for byte-run units, the right shift that brings each lane's first code to bit 0: 4
     * for the odd lanes of 5-bit codes (2.5-byte units), 0 otherwise.
     *
     * @param bits 3, 5 or 6
     * @param lanes the lanes per vector
     * @return {@code lanes} shift counts
     */
    static int[] unitBitShifts(int bits, int lanes) {
        int perLane = codesPerLane(bits);
        int[] shifts = new int[lanes];
        for (int i = 0; i < lanes; i++) {
            shifts[i] = i * perLane * bits % 8;
        }
        return shifts;
    }

    /**
     * Returns {@code e} such that the matrix-vector decoding of code {@code s} of a unit yields
     * {@code code * 2^e}: codes are masked in place, except the last code of a 4 or 8-bit word
     * (shifted to the bottom, since its mask would reach the sign bit) and 2-bit codes 8 to 15
     * (masked in the word shifted right by 16, to keep the exponents small).
     *
     * @param bits the code width
     * @param s the code's position in its unit
     * @return the exponent
     */
    static int codeExponent(int bits, int s) {
        if (bits == 2) {
            return 2 * (s % 8);
        }
        if (wordUnits(bits) && s == codesPerLane(bits) - 1) {
            return 0;
        }
        return bits * s;
    }

    int bits() {
        return bits;
    }

    int lanes() {
        return lanes;
    }

    /** Returns the codes one lane decodes per step. */
    int codesPerLane() {
        return codesPerLane;
    }

    /** Returns the codes one step decodes ({@code lanes * codesPerLane}). */
    int stepCodes() {
        return stepCodes;
    }

    /** Returns the steps per row. */
    int steps() {
        return steps;
    }

    /** Returns the row length in the kernel's layout: K padded to a whole number of steps. */
    int laidColumns() {
        return steps * stepCodes;
    }

    /** Returns the packed words of a step, for word units. */
    int stepWords() {
        return stepCodes * bits / 32;
    }

    /** Returns the packed bytes of a step. */
    int stepBytes() {
        return stepCodes * bits / 8;
    }

    /**
     * Returns the length of a row copy that every step can read whole: the row's words padded to
     * whole steps (word units), or its bytes padded so that the last step's vector load of {@code 4
     * * lanes} bytes stays inside (byte units).
     *
     * @return words for word units, bytes for byte units
     */
    int paddedRowLength() {
        if (wordUnits(bits)) {
            return steps * stepWords();
        }
        return (steps - 1) * stepBytes() + 4 * lanes;
    }

    /** Returns log2 of the group size. */
    int groupShift() {
        return groupShift;
    }

    /** Returns the index of the first group of step {@code t}. */
    int firstGroup(int t) {
        return (t * stepCodes) >>> groupShift;
    }

    /**
     * Returns the length of a row's scale (or bias) copy that every step can read whole: the groups
     * of the padded row plus one vector, since a step loads {@code lanes} scales from its first
     * group.
     *
     * @return floats
     */
    int paddedGroups() {
        return (laidColumns() + groupSize - 1) / groupSize + lanes;
    }

    /**
     * Returns, per lane, the group of its unit counted from the step's first group: all 0 when a
     * step lies inside one group.
     *
     * @return {@code lanes} group offsets
     */
    int[] laneGroupOffsets() {
        return laneGroupOffsets.clone();
    }

    /**
     * Returns where natural element {@code k} of a row sits in the kernel's layout.
     *
     * @param k the element, in {@code [0, laidColumns())}
     * @return its position
     */
    int laidIndex(int k) {
        int t = k / stepCodes;
        int r = k - t * stepCodes;
        int lane = r / codesPerLane;
        int s = r - lane * codesPerLane;
        return t * stepCodes + s * lanes + lane;
    }

    /**
     * Lays out {@code m} rows of {@code columns} activations: element {@code k} of row {@code i}
     * goes to {@code i * laidColumns() + laidIndex(k)}, multiplied by {@code factors[s]} for its
     * position {@code s} in its unit; the padding is zero.
     *
     * @param x the activations, row-major
     * @param m the rows
     * @param columns K
     * @param factors one factor per code position in a unit, or null for none
     * @param dst receives {@code m * laidColumns()} floats
     */
    void layout(FloatBuffer x, int m, int columns, float[] factors, float[] dst) {
        int laid = laidColumns();
        float[] row = x.hasArray() ? x.array() : new float[columns];
        for (int i = 0; i < m; i++) {
            int src;
            if (x.hasArray()) {
                src = x.arrayOffset() + i * columns;
            } else {
                x.get(i * columns, row, 0, columns);
                src = 0;
            }
            int base = i * laid;
            int wholeSteps = columns / stepCodes;
            for (int t = 0; t < wholeSteps; t++) {
                int stepBase = t * stepCodes;
                for (int s = 0; s < codesPerLane; s++) {
                    float factor = factors == null ? 1f : factors[s];
                    int from = src + stepBase + s;
                    int to = base + stepBase + s * lanes;
                    for (int lane = 0; lane < lanes; lane++) {
                        dst[to + lane] = row[from + lane * codesPerLane] * factor;
                    }
                }
            }
            for (int t = wholeSteps; t < steps; t++) {
                int stepBase = t * stepCodes;
                for (int lane = 0; lane < lanes; lane++) {
                    int k0 = stepBase + lane * codesPerLane;
                    for (int s = 0; s < codesPerLane; s++) {
                        int k = k0 + s;
                        float v = k < columns ? row[src + k] : 0f;
                        if (factors != null) {
                            v *= factors[s];
                        }
                        dst[base + stepBase + s * lanes + lane] = v;
                    }
                }
            }
        }
    }

    /**
     * Returns the factors that undo the powers of two the matrix-vector decoding leaves on codes
     * ({@link #codeExponent}); they are exact.
     *
     * @return {@code codesPerLane()} factors
     */
    float[] matvecFactors() {
        return matvecFactors.clone();
    }

    /** Returns {@link #laneGroupOffsets()} without a copy, for the kernel's own use. */
    int[] sharedLaneGroupOffsets() {
        return laneGroupOffsets;
    }

    /** Returns {@link #matvecFactors()} without a copy, for the kernel's own use. */
    float[] sharedMatvecFactors() {
        return matvecFactors;
    }
}
