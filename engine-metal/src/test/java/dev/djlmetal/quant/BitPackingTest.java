package dev.djlmetal.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BitPackingTest {

    /** Returns the codes {@code k % modulus} for {@code k = 0 .. count - 1}. */
    private static int[] cyclicCodes(int count, int modulus) {
        int[] codes = new int[count];
        for (int k = 0; k < count; k++) {
            codes[k] = k % modulus;
        }
        return codes;
    }

    @Test
    void twoBitsPackFourCodesPerByte() {
        // codes 0,1,2,3 -> byte 0b11_10_01_00 = 0xE4; 16 codes fill one word with four such bytes.
        int[] packed = BitPacking.pack(cyclicCodes(16, 4), 1, 16, 2);
        assertArrayEquals(new int[] {0xE4E4E4E4}, packed);
    }

    @Test
    void fourBitsPackOneNibblePerCode() {
        // code k sits in nibble k of the word: 0..7 -> 0x76543210, 8..15 -> 0xFEDCBA98.
        int[] packed = BitPacking.pack(cyclicCodes(16, 16), 1, 16, 4);
        assertArrayEquals(new int[] {0x76543210, 0xFEDCBA98}, packed);
    }

    @Test
    void eightBitsPackOneBytePerCode() {
        int[] packed = BitPacking.pack(new int[] {0x01, 0x02, 0x03, 0xFF}, 1, 4, 8);
        assertArrayEquals(new int[] {0xFF030201}, packed);
    }

    @Test
    void threeBitsStraddleWords() {
        // codes 0..7 -> octal 76543210 = 0xFAC688: bytes 88 C6 FA. 32 codes repeat the 3 bytes four
        // times: 88 C6 FA 88 | C6 FA 88 C6 | FA 88 C6 FA (little-endian words).
        int[] packed = BitPacking.pack(cyclicCodes(32, 8), 1, 32, 3);
        assertArrayEquals(new int[] {0x88FAC688, 0xC688FAC6, 0xFAC688FA}, packed);
    }

    @Test
    void fiveBitsStraddleWords() {
        // codes 0..7 -> sum k << 5k = 0x20 + 0x800 + 0x18000 + 0x400000 + 0xA000000 + 0x180000000
        // + 0x3800000000 = 0x398A418820: bytes 20 88 41 8A 39. 32 codes repeat them four times.
        int[] packed = BitPacking.pack(cyclicCodes(32, 8), 1, 32, 5);
        assertArrayEquals(
                new int[] {0x8A418820, 0x41882039, 0x8820398A, 0x20398A41, 0x398A4188}, packed);
    }

    @Test
    void sixBitsStraddleWords() {
        // codes 63, 0, 63, 0 -> 0x3F | 0x3F << 12 = 0x03F03F: bytes 3F F0 03. 16 codes repeat them.
        int[] codes = new int[16];
        for (int k = 0; k < 16; k += 2) {
            codes[k] = 63;
        }
        int[] packed = BitPacking.pack(codes, 1, 16, 6);
        assertArrayEquals(new int[] {0x3F03F03F, 0xF03F03F0, 0x03F03F03}, packed);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void randomRoundTripsAreExact(int bits) {
        for (int rows : new int[] {1, 3, 7}) {
            for (int columns : new int[] {32, 96, 256}) {
                int[] codes = QuantTestData.randomCodes(31L * rows + columns, rows * columns, bits);
                int[] packed = BitPacking.pack(codes, rows, columns, bits);
                assertEquals(rows * columns * bits / 32, packed.length);
                assertArrayEquals(codes, BitPacking.unpack(packed, rows, columns, bits));
                int words = BitPacking.wordsPerRow(columns, bits);
                for (int r = 0; r < rows; r++) {
                    for (int k = 0; k < columns; k++) {
                        assertEquals(
                                codes[r * columns + k],
                                BitPacking.code(packed, r * words, k, bits),
                                "row " + r + " code " + k);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void packedBitsFormOneLsbFirstStream(int bits) {
        int columns = 64;
        int[] codes = QuantTestData.randomCodes(bits, columns, bits);
        int[] packed = BitPacking.pack(codes, 1, columns, bits);
        for (int bit = 0; bit < columns * bits; bit++) {
            int expected = (codes[bit / bits] >>> (bit % bits)) & 1;
            int actual = (packed[bit / 32] >>> (bit % 32)) & 1;
            assertEquals(expected, actual, "stream bit " + bit);
        }
    }

    @Test
    void rejectsCodesOutOfRange() {
        int[] codes = new int[32];
        codes[5] = 8;
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> BitPacking.pack(codes, 1, 32, 3));
        assertTrue(e.getMessage().contains("Code 8 at index 5"), e.getMessage());
        codes[5] = -1;
        assertThrows(IllegalArgumentException.class, () -> BitPacking.pack(codes, 1, 32, 3));
    }

    @Test
    void rejectsRowsThatDoNotFillWholeWords() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> BitPacking.pack(new int[10], 1, 10, 3));
        assertTrue(e.getMessage().contains("multiple of 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BitPacking.unpack(new int[1], 1, 8, 3));
    }

    @Test
    void rejectsUnsupportedWidthsAndLengthMismatches() {
        assertThrows(IllegalArgumentException.class, () -> BitPacking.pack(new int[32], 1, 32, 7));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> BitPacking.pack(new int[32], 2, 32, 4));
        assertTrue(e.getMessage().contains("got 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BitPacking.unpack(new int[3], 1, 32, 4));
    }
}
