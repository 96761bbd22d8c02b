package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CodeDecoderTest {

    private static ByteBuffer words(int... values) {
        ByteBuffer buffer =
                ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
        buffer.asIntBuffer().put(values);
        return buffer;
    }

    @Test
    void fourBitWordHoldsEightCodesLowNibbleFirst() {
        ByteBuffer packed = words(0x76543210, 0xFEDCBA98, 0, 0);
        for (int k = 0; k < 16; k++) {
            assertEquals(k, CodeDecoder.code(packed, 0, k, 4), "element " + k);
        }
    }

    @Test
    void threeBitCodeStraddlesTwoWords() {
        // element 10 occupies bits 30..32: two low bits from word 0, one high bit from word 1.
        ByteBuffer packed = words(0b11 << 30, 0b1, 0);
        assertEquals(7, CodeDecoder.code(packed, 0, 10, 3));
        assertEquals(0, CodeDecoder.code(packed, 0, 9, 3));
        assertEquals(0, CodeDecoder.code(packed, 0, 11, 3));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void decodeReturnsTheCodesThatWerePacked(int bits) {
        RandomQuantized q = new RandomQuantized(3, 128, bits, 32, bits);
        ByteBuffer packed = words(q.packed);
        int rowBytes = 128 * bits / 8;
        float[] decoded = new float[96];
        for (int n = 0; n < 3; n++) {
            CodeDecoder.decode(packed, n * rowBytes, 32, 96, bits, decoded, 0);
            for (int k = 0; k < 128; k++) {
                assertEquals(q.codes[n][k], CodeDecoder.code(packed, n * rowBytes, k, bits));
                if (k >= 32) {
                    assertEquals(q.codes[n][k], (int) decoded[k - 32], "row " + n + " k " + k);
                }
            }
        }
    }
}
