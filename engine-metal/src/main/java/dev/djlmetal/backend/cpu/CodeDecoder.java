package dev.djlmetal.backend.cpu;

import java.nio.ByteBuffer;

/**
 * Scalar extraction of quantization codes from packed rows: each row is one little-endian,
 * least-significant-bit-first bit stream of {@code bits}-wide codes stored as uint32 words, so 3, 5
 * and 6-bit codes may straddle two words.
 */
final class CodeDecoder {

    private CodeDecoder() {}

    /**
     * Returns one code.
     *
     * @param packed the packed words (native byte order)
     * @param rowByteOffset the byte offset of the row's first word
     * @param element the element index k within the row
     * @param bits the code width
     * @return the unsigned code
     */
    static int code(ByteBuffer packed, int rowByteOffset, int element, int bits) {
        long bit = (long) element * bits;
        int word = (int) (bit >>> 5);
        int shift = (int) (bit & 31);
        long low = packed.getInt(rowByteOffset + word * 4) & 0xFFFFFFFFL;
        long value = low >>> shift;
        if (shift + bits > 32) {
            long high = packed.getInt(rowByteOffset + (word + 1) * 4) & 0xFFFFFFFFL;
            value |= high << (32 - shift);
        }
        return (int) (value & ((1L << bits) - 1));
    }

    /**
     * Decodes {@code count} consecutive codes starting at a multiple of 32 elements into floats.
     *
     * <p>32 codes always fill exactly {@code bits} words, so the stream is read one word at a time
     * through a 64-bit window without touching words past the last code.
     *
     * @param packed the packed words (native byte order)
     * @param rowByteOffset the byte offset of the row's first word
     * @param first the first element, a multiple of 32
     * @param count the number of codes, a multiple of 32
     * @param bits the code width
     * @param dst receives the codes as floats
     * @param dstOffset where the first code goes
     */
    static void decode(
            ByteBuffer packed,
            int rowByteOffset,
            int first,
            int count,
            int bits,
            float[] dst,
            int dstOffset) {
        int mask = (1 << bits) - 1;
        int wordOffset = rowByteOffset + first / 32 * bits * 4;
        long window = 0;
        int available = 0;
        for (int i = 0; i < count; i++) {
            if (available < bits) {
                window |= (packed.getInt(wordOffset) & 0xFFFFFFFFL) << available;
                wordOffset += 4;
                available += 32;
            }
            dst[dstOffset + i] = (int) window & mask;
            window >>>= bits;
            available -= bits;
        }
    }

    /**
     * Dequantizes one whole row into floats: {@code code * scale + bias} per element.
     *
     * @param w the packed matrix
     * @param row the row
     * @param dst receives {@code K} floats
     * @param dstOffset where the first goes
     */
    static void dequantizeRow(PackedMatrix w, int row, float[] dst, int dstOffset) {
        int groupSize = w.groupSize();
        int rowOffset = w.rowByteOffset(row);
        for (int g = 0; g < w.groups(); g++) {
            int start = dstOffset + g * groupSize;
            decode(w.packed(), rowOffset, g * groupSize, groupSize, w.bits(), dst, start);
            float scale = w.scale(row, g);
            float bias = w.bias(row, g);
            for (int i = start; i < start + groupSize; i++) {
                dst[i] = dst[i] * scale + bias;
            }
        }
    }
}
