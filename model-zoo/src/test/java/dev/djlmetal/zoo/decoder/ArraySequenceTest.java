package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The layout of the array decoder's key/value cache: padding, growth and sliding-window rings. */
class ArraySequenceTest {

    private static final int KV_HEADS = 2;
    private static final int HEAD_DIM = 3;

    @Test
    void slotsArePaddedToAnOddNumberOfCacheLines() {
        for (int slots = 1; slots <= 5000; slots++) {
            int padded = ArraySequence.paddedSlots(slots);
            assertTrue(padded >= slots, "holds every slot: " + slots);
            assertEquals(0, padded % 16, "whole lines: " + slots);
            assertEquals(1, (padded / 16) % 2, "an odd number of lines: " + slots);
            assertTrue(padded - slots < 32, "at most two lines of padding: " + slots);
        }
    }

    /** Every stored position reads back from its slot after the cache grew several times. */
    @Test
    void storedPositionsSurviveGrowth() {
        ArraySequence sequence = new ArraySequence(2, KV_HEADS, HEAD_DIM, new int[] {0, 7}, 1);
        int positions = 100;
        for (int p = 0; p < positions; p++) {
            sequence.ensureCapacity(p + 1);
            for (int layer = 0; layer < 2; layer++) {
                sequence.store(layer, p, entry(p, 1), 0, entry(p, -1), 0);
            }
            sequence.advance(1);
        }
        assertEquals(positions, sequence.length());
        assertTrue(sequence.capacity(0) >= positions);
        assertEquals(ArraySequence.paddedSlots(7), sequence.capacity(1), "the ring stays small");
        for (int layer = 0; layer < 2; layer++) {
            int first = layer == 0 ? 0 : positions - 7;
            assertEquals(positions - first, sequence.visible(layer, positions));
            for (int p = first; p < positions; p++) {
                int slot = sequence.slot(layer, p);
                int slots = sequence.capacity(layer);
                for (int h = 0; h < KV_HEADS; h++) {
                    for (int d = 0; d < HEAD_DIM; d++) {
                        int i = h * HEAD_DIM + d;
                        assertEquals(
                                entry(p, 1)[i],
                                sequence.keys(layer)[(h * HEAD_DIM + d) * slots + slot],
                                "key of layer " + layer + " position " + p);
                        assertEquals(
                                entry(p, -1)[i],
                                sequence.values(layer)[(h * slots + slot) * HEAD_DIM + d],
                                "value of layer " + layer + " position " + p);
                    }
                }
            }
        }
    }

    private static float[] entry(int position, int sign) {
        float[] values = new float[KV_HEADS * HEAD_DIM];
        for (int i = 0; i < values.length; i++) {
            values[i] = sign * (position * 10 + i);
        }
        return values;
    }
}
