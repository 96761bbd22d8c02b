package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.djlmetal.quant.QuantSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector kernel's geometry, checked in plain Java for every code width, group size and vector
 * width from 2 to 32 lanes (64 to 1024 bits), independently of the Vector API: a simulated lane
 * decoder built only from the layout's tables must find, for every laid-out position, the code and
 * the group of the natural element the layout puts there.
 */
class LaneLayoutTest {

    static Stream<Arguments> shapes() {
        List<Arguments> cases = new ArrayList<>();
        for (int lanes : new int[] {2, 4, 8, 16, 32}) {
            for (int bits : QuantSpec.SUPPORTED_BITS) {
                for (int groupSize : QuantSpec.SUPPORTED_GROUP_SIZES) {
                    cases.add(Arguments.of(lanes, bits, groupSize));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} lanes, {1}-bit, group {2}")
    @MethodSource("shapes")
    void simulatedLanesDecodeEveryCodeWithItsGroupAndActivation(
            int lanes, int bits, int groupSize) {
        for (int columns : new int[] {groupSize, 3 * groupSize, 7 * groupSize}) {
            LaneLayout layout = LaneLayout.of(bits, lanes, columns, groupSize);
            int laid = layout.laidColumns();
            assertTrue(laid >= columns && laid % layout.stepCodes() == 0, "padded length " + laid);
            assertEquals(lanes * layout.codesPerLane(), layout.stepCodes());
            assertTrue(layout.codesPerLane() * bits <= 32, "a unit fits in a lane");

            Random random = new Random(31L * lanes + 7L * bits + columns);
            int[] codes = new int[columns];
            for (int k = 0; k < columns; k++) {
                codes[k] = random.nextInt(1 << bits);
            }
            int[] words = RandomQuantized.pack(new int[][] {codes}, bits);

            // which natural element each laid position holds (-1 for padding), via layout()
            float[] marks = new float[columns];
            for (int k = 0; k < columns; k++) {
                marks[k] = k + 1;
            }
            float[] laidMarks = new float[laid];
            layout.layout(FloatBuffer.wrap(marks), 1, columns, null, laidMarks);

            int[] lanesGroups = layout.laneGroupOffsets();
            int perLane = layout.codesPerLane();
            byte[] bytes = paddedBytes(words, layout);
            for (int t = 0; t < layout.steps(); t++) {
                int[] units = simulatedUnits(words, bytes, layout, t);
                for (int lane = 0; lane < lanes; lane++) {
                    for (int s = 0; s < perLane; s++) {
                        int position = t * layout.stepCodes() + s * lanes + lane;
                        int k = (int) laidMarks[position] - 1;
                        int code = units[lane] >>> (bits * s) & ((1 << bits) - 1);
                        if (k < 0) {
                            assertEquals(0, code, "padding decodes to code 0 at " + position);
                            continue;
                        }
                        assertEquals(position, layout.laidIndex(k), "laidIndex of " + k);
                        assertEquals(codes[k], code, "code of element " + k);
                        assertEquals(
                                k / groupSize,
                                layout.firstGroup(t) + lanesGroups[lane],
                                "group of element " + k);
                    }
                }
            }
        }
    }

    /**
     * Returns each lane's 32-bit unit of step {@code t} as the vector kernel builds it: a word load
     * for word units, the byte shuffle and per-lane shift for byte units.
     */
    private static int[] simulatedUnits(int[] words, byte[] bytes, LaneLayout layout, int t) {
        int lanes = layout.lanes();
        int[] units = new int[lanes];
        if (LaneLayout.wordUnits(layout.bits())) {
            for (int lane = 0; lane < lanes; lane++) {
                int index = t * layout.stepWords() + lane;
                units[lane] = index < words.length ? words[index] : 0;
            }
            return units;
        }
        int[] shuffle = LaneLayout.unitByteShuffle(layout.bits(), lanes);
        int[] shifts = LaneLayout.unitBitShifts(layout.bits(), lanes);
        int base = t * layout.stepBytes();
        for (int lane = 0; lane < lanes; lane++) {
            int unit = 0;
            for (int j = 0; j < 4; j++) {
                int index = shuffle[4 * lane + j];
                assertTrue(index < 4 * lanes, "the shuffle stays inside one vector of bytes");
                unit |= (bytes[base + index] & 0xFF) << (8 * j);
            }
            units[lane] = unit >>> shifts[lane];
        }
        return units;
    }

    private static byte[] paddedBytes(int[] words, LaneLayout layout) {
        int length = Math.max(words.length * 4, layout.paddedRowLength());
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asIntBuffer().put(words);
        return buffer.array();
    }

    @Test
    void matvecFactorsUndoTheShiftsLeftOnCodes() {
        for (int bits : QuantSpec.SUPPORTED_BITS) {
            for (int s = 0; s < LaneLayout.codesPerLane(bits); s++) {
                int e = LaneLayout.codeExponent(bits, s);
                // the in-place mask of code s ends below bit 31, so the masked int is positive
                assertTrue(e + bits <= 31, bits + "-bit code " + s + " exponent " + e);
                float factor = LaneLayout.of(bits, 8, 128, 32).matvecFactors()[s];
                assertEquals(1.0, factor * Math.scalb(1.0, e), 0.0);
            }
        }
        assertArrayEquals(
                new int[] {0, 4, 8, 12, 16, 20, 24, 0},
                java.util.stream.IntStream.range(0, 8)
                        .map(s -> LaneLayout.codeExponent(4, s))
                        .toArray());
    }

    @Test
    void byteUnitsHoldWholeCodesInThirtyTwoBits() {
        assertArrayEquals(new int[] {0, 4, 0, 4}, LaneLayout.unitBitShifts(5, 4));
        assertArrayEquals(new int[] {0, 0, 0, 0}, LaneLayout.unitBitShifts(6, 4));
        int[] five = LaneLayout.unitByteShuffle(5, 4);
        // 4 codes of 5 bits = 20 bits: units start at bytes 0, 2.5, 5 and 7.5
        assertArrayEquals(new int[] {0, 2, 5, 7}, new int[] {five[0], five[4], five[8], five[12]});
    }
}
