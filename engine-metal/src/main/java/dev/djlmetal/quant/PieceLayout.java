package dev.djlmetal.quant;

/**
 * How {@link AffineQuantizer} cuts packed words into pieces that float32 holds exactly, so that
 * packing and unpacking need only remainders by powers of two, exact scaling by powers of two and
 * small sums (DJL has no bitwise, shift or integer-division operations).
 *
 * <p>A word is cut into {@code 32 / pieceBits} pieces. Pieces regroup into units of {@code
 * lcm(bits, pieceBits)} bits, each holding whole codes and small enough (at most 24 bits) to be an
 * exact float32 integer:
 *
 * <ul>
 *   <li>2, 4 and 8 bits: a piece is a code, a unit is a code;
 *   <li>3 and 6 bits: byte pieces, 24-bit units of 8 or 4 codes;
 *   <li>5 bits: 4-bit pieces, 20-bit units of 4 codes.
 * </ul>
 *
 * The piece-to-unit pattern repeats every {@code lcm(32, unitBits)} bits: a period of 1, 3 or 5
 * words.
 */
final class PieceLayout {

    private final int bits;
    private final int pieceBits;
    private final int unitBits;

    private PieceLayout(int bits, int pieceBits) {
        this.bits = bits;
        this.pieceBits = pieceBits;
        this.unitBits = lcm(bits, pieceBits);
    }

    /**
     * Returns the layout for a code width.
     *
     * @param bits the code width, one of {@link QuantSpec#SUPPORTED_BITS}
     * @return the layout
     */
    static PieceLayout of(int bits) {
        QuantSpec.checkBits("bits", bits);
        if (32 % bits == 0) {
            return new PieceLayout(bits, bits);
        }
        return new PieceLayout(bits, lcm(bits, 8) <= 24 ? 8 : 4);
    }

    int bits() {
        return bits;
    }

    int pieceBits() {
        return pieceBits;
    }

    int codesPerUnit() {
        return unitBits / bits;
    }

    int piecesPerUnit() {
        return unitBits / pieceBits;
    }

    int piecesPerWord() {
        return 32 / pieceBits;
    }

    int wordsPerPeriod() {
        return lcm(32, unitBits) / 32;
    }

    int piecesPerPeriod() {
        return wordsPerPeriod() * piecesPerWord();
    }

    /**
     * Returns the smallest number of codes per row the layout can handle: one period.
     *
     * @return the number of codes in one period
     */
    int codesPerPeriod() {
        return wordsPerPeriod() * 32 / bits;
    }

    /**
     * Returns {@code 2^(pieceBits * i)} for {@code i = 0 .. piecesPerWord - 1}: the cumulative
     * moduli below the top piece, all within the int32 range.
     */
    int[] cumulativeModuli() {
        int[] moduli = new int[piecesPerWord()];
        for (int i = 0; i < moduli.length; i++) {
            moduli[i] = 1 << (pieceBits * i);
        }
        return moduli;
    }

    /** Returns {@code 2^(pieceBits * i)} for each piece {@code i} of a word. */
    long[] pieceWeightsInWord() {
        long[] weights = new long[piecesPerWord()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = 1L << (pieceBits * i);
        }
        return weights;
    }

    /**
     * Returns, for each piece of a period, the factor that moves its in-word weight to its in-unit
     * weight: {@code 2^(pieceBits * (t % piecesPerUnit) - pieceBits * (t % piecesPerWord))}.
     */
    float[] wordToUnitFactors() {
        float[] factors = new float[piecesPerPeriod()];
        for (int t = 0; t < factors.length; t++) {
            int exponent = pieceBits * (t % piecesPerUnit()) - pieceBits * (t % piecesPerWord());
            factors[t] = Math.scalb(1f, exponent);
        }
        return factors;
    }

    /** Returns {@code 2^-(pieceBits * t)} for each piece {@code t} of a unit. */
    float[] unitToPieceShifts() {
        return powers(piecesPerUnit(), -pieceBits);
    }

    /** Returns {@code 2^(bits * c)} for each code {@code c} of a unit. */
    float[] codeWeightsInUnit() {
        return powers(codesPerUnit(), bits);
    }

    /** Returns {@code 2^-(bits * c)} for each code {@code c} of a unit. */
    float[] unitToCodeShifts() {
        return powers(codesPerUnit(), -bits);
    }

    private static float[] powers(int count, int step) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = Math.scalb(1f, step * i);
        }
        return values;
    }

    private static int lcm(int a, int b) {
        int x = a;
        int y = b;
        while (y != 0) {
            int t = x % y;
            x = y;
            y = t;
        }
        return a / x * b;
    }
}
