package dev.djlmetal.quant;

/**
 * Packs and unpacks rows of {@code bits}-wide unsigned codes into and from uint32 words held as
 * Java {@code int}s (same bit pattern).
 *
 * <p>Each row is one little-endian, least-significant-bit-first bit stream: code {@code k} occupies
 * bits {@code [k * bits, (k + 1) * bits)} of the row, bit {@code j} of the stream being bit {@code
 * j % 32} of word {@code j / 32}. For 3, 5 and 6 bits some codes straddle two words. This is the
 * layout of MLX and of the transformers "metal" format.
 */
public final class BitPacking {

    private BitPacking() {}

    /**
     * Returns the number of words holding one packed row.
     *
     * @param columns the number of codes per row
     * @param bits the code width, one of {@link QuantSpec#SUPPORTED_BITS}
     * @return {@code columns * bits / 32}
     * @throws IllegalArgumentException when the width is unsupported or {@code columns * bits} is
     *     not a positive multiple of 32
     */
    public static int wordsPerRow(int columns, int bits) {
        QuantSpec.checkBits("bits", bits);
        long totalBits = (long) columns * bits;
        if (columns <= 0 || totalBits % 32 != 0) {
            throw new IllegalArgumentException(
                    "A packed row of "
                            + columns
                            + " codes at "
                            + bits
                            + " bits holds "
                            + totalBits
                            + " bits; it must be a positive multiple of 32 (whole uint32 words)");
        }
        return Math.toIntExact(totalBits / 32);
    }

    /**
     * Packs a row-major matrix of codes.
     *
     * @param codes the codes, {@code rows * columns} values in {@code [0, 2^bits)}
     * @param rows the number of rows
     * @param columns the number of codes per row
     * @param bits the code width
     * @return {@code rows * wordsPerRow(columns, bits)} words, row-major
     * @throws IllegalArgumentException on a size mismatch or a code out of range
     */
    public static int[] pack(int[] codes, int rows, int columns, int bits) {
        int words = wordsPerRow(columns, bits);
        checkLength("codes", codes.length, rows, columns);
        int[] packed = new int[Math.multiplyExact(rows, words)];
        for (int r = 0; r < rows; r++) {
            packRow(codes, r * columns, columns, bits, packed, r * words);
        }
        return packed;
    }

    /**
     * Unpacks a row-major matrix of packed codes.
     *
     * @param packed the packed words, {@code rows * wordsPerRow(columns, bits)} values
     * @param rows the number of rows
     * @param columns the number of codes per row
     * @param bits the code width
     * @return the {@code rows * columns} codes, row-major
     * @throws IllegalArgumentException on a size mismatch
     */
    public static int[] unpack(int[] packed, int rows, int columns, int bits) {
        int words = wordsPerRow(columns, bits);
        checkLength("packed words", packed.length, rows, words);
        int[] codes = new int[Math.multiplyExact(rows, columns)];
        for (int r = 0; r < rows; r++) {
            unpackRow(packed, r * words, columns, bits, codes, r * columns);
        }
        return codes;
    }

    /**
     * Packs one row of codes into {@code out}.
     *
     * @param codes the source codes
     * @param codeOffset the index of the row's first code in {@code codes}
     * @param columns the number of codes in the row
     * @param bits the code width
     * @param out the destination words
     * @param wordOffset the index of the row's first word in {@code out}
     * @throws IllegalArgumentException when a code is out of range or the row does not fill whole
     *     words
     */
    public static void packRow(
            int[] codes, int codeOffset, int columns, int bits, int[] out, int wordOffset) {
        int words = wordsPerRow(columns, bits);
        int limit = 1 << bits;
        long buffer = 0;
        int filled = 0;
        int w = wordOffset;
        for (int k = 0; k < columns; k++) {
            int code = codes[codeOffset + k];
            if (code < 0 || code >= limit) {
                throw new IllegalArgumentException(
                        "Code "
                                + code
                                + " at index "
                                + (codeOffset + k)
                                + " does not fit in "
                                + bits
                                + " bits; allowed range [0, "
                                + (limit - 1)
                                + "]");
            }
            buffer |= (long) code << filled;
            filled += bits;
            if (filled >= 32) {
                out[w++] = (int) buffer;
                buffer >>>= 32;
                filled -= 32;
            }
        }
        assert w == wordOffset + words && filled == 0;
    }

    /**
     * Unpacks one row of codes into {@code out}.
     *
     * @param packed the source words
     * @param wordOffset the index of the row's first word in {@code packed}
     * @param columns the number of codes in the row
     * @param bits the code width
     * @param out the destination codes
     * @param codeOffset the index of the row's first code in {@code out}
     * @throws IllegalArgumentException when the row does not fill whole words
     */
    public static void unpackRow(
            int[] packed, int wordOffset, int columns, int bits, int[] out, int codeOffset) {
        wordsPerRow(columns, bits);
        long mask = (1L << bits) - 1;
        long buffer = 0;
        int available = 0;
        int w = wordOffset;
        for (int k = 0; k < columns; k++) {
            if (available < bits) {
                buffer |= (packed[w++] & 0xFFFFFFFFL) << available;
                available += 32;
            }
            out[codeOffset + k] = (int) (buffer & mask);
            buffer >>>= bits;
            available -= bits;
        }
    }

    /**
     * Reads one code of a packed row.
     *
     * @param packed the packed words
     * @param rowOffsetWords the index of the row's first word in {@code packed}
     * @param index the index of the code within the row
     * @param bits the code width (not validated here: this is the inner-loop accessor)
     * @return the code, in {@code [0, 2^bits)}
     */
    public static int code(int[] packed, int rowOffsetWords, int index, int bits) {
        long bit = (long) index * bits;
        int word = rowOffsetWords + (int) (bit >>> 5);
        int shift = (int) (bit & 31);
        long value = packed[word] & 0xFFFFFFFFL;
        if (shift + bits > 32) {
            value |= (packed[word + 1] & 0xFFFFFFFFL) << 32;
        }
        return (int) ((value >>> shift) & ((1L << bits) - 1));
    }

    private static void checkLength(String what, int length, int rows, int perRow) {
        if (rows < 0 || (long) rows * perRow != length) {
            throw new IllegalArgumentException(
                    "Expected "
                            + rows
                            + " rows of "
                            + perRow
                            + " "
                            + what
                            + " ("
                            + (long) rows * perRow
                            + " values), got "
                            + length);
        }
    }
}
