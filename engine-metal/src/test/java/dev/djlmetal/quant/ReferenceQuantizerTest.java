package dev.djlmetal.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.djlmetal.io.HalfPrecision;
import dev.djlmetal.testing.FloatErrorBounds;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceQuantizerTest {

    private static final int GROUP = 32;

    /**
     * Quantizes one group of 32 whose first values are {@code head} and the rest {@code fill}, and
     * checks the scale, the bias and the codes of the head (the fill's code is {@code fillCode}).
     */
    private static ReferenceQuantizer.Result checkGroup(
            int bits,
            float[] head,
            float fill,
            float scale,
            float bias,
            int[] headCodes,
            int fillCode) {
        float[] weight = new float[GROUP];
        Arrays.fill(weight, fill);
        System.arraycopy(head, 0, weight, 0, head.length);
        ReferenceQuantizer.Result result =
                ReferenceQuantizer.quantize(weight, 1, GROUP, bits, GROUP);
        assertEquals(scale, result.scales()[0], "scale");
        assertEquals(bias, result.biases()[0], "bias");
        int[] expected = new int[GROUP];
        Arrays.fill(expected, fillCode);
        System.arraycopy(headCodes, 0, expected, 0, headCodes.length);
        assertArrayEquals(expected, result.codes());
        return result;
    }

    @Test
    void fourBitsMaxDominates() {
        // min -7, max 8: scale = 15/15 = 1; |min| < |max| so scale = -1, edge = 8; q0 = rint(-8) =
        // -8,
        // scale = 8/-8 = -1, bias = 8; q = (w - 8) / -1 = 8 - w: 8->0, -7->15, 0->8,
        // 2.5->5.5->6 and 3.5->4.5->4 (ties to even).
        checkGroup(4, new float[] {8, -7, 0, 2.5f, 3.5f}, 0, -1, 8, new int[] {0, 15, 8, 6, 4}, 8);
    }

    @Test
    void twoBitsSymmetricGroupTiesInQ0AndClipsTheOtherExtreme() {
        // min -1.5, max 1.5: scale = 3/3 = 1; |min| == |max| so scale = -1, edge = 1.5;
        // q0 = rint(-1.5) = -2 (tie to even); scale = 1.5/-2 = -0.75, bias = 1.5;
        // q: 1.5->0, 0->2, 0.5->1.33->1, -1.5->4->clipped to 3 (dequantizes to -0.75).
        ReferenceQuantizer.Result result =
                checkGroup(
                        2,
                        new float[] {-1.5f, 1.5f, 0, 0.5f},
                        0,
                        -0.75f,
                        1.5f,
                        new int[] {3, 0, 2, 1},
                        2);
        float[] dequantized = result.dequantize();
        assertEquals(-0.75f, dequantized[0]);
        assertEquals(1.5f, dequantized[1]);
        assertEquals(0f, dequantized[2]);
    }

    @Test
    void threeBitsMinDominates() {
        // min -8, max 6: scale = 14/7 = 2; |min| > |max| so scale = 2, edge = -8; q0 = rint(-4) =
        // -4,
        // scale = -8/-4 = 2, bias = -8; q = (w + 8) / 2: -8->0, 6->7, 0->4, 1->4.5->4, 3->5.5->6.
        checkGroup(3, new float[] {-8, 6, 0, 1, 3}, 0, 2, -8, new int[] {0, 7, 4, 4, 6}, 4);
    }

    @Test
    void fiveBitsMinDominates() {
        // min -16, max 15: scale = 31/31 = 1, edge = -16, q0 = -16, bias = -16; q = w + 16:
        // -16->0, 15->31, 0->16, 0.5->16.5->16, 1.5->17.5->18.
        checkGroup(
                5,
                new float[] {-16, 15, 0, 0.5f, 1.5f},
                0,
                1,
                -16,
                new int[] {0, 31, 16, 16, 18},
                16);
    }

    @Test
    void sixBitsMinDominates() {
        // min -8, max 7.75: scale = 15.75/63 = 0.25, edge = -8, q0 = -32, bias = -8; q = (w + 8) *
        // 4:
        // -8->0, 7.75->63, 0->32, 0.125->32.5->32, 0.375->33.5->34.
        checkGroup(
                6,
                new float[] {-8, 7.75f, 0, 0.125f, 0.375f},
                0,
                0.25f,
                -8,
                new int[] {0, 63, 32, 32, 34},
                32);
    }

    @Test
    void eightBitsMaxDominates() {
        // min -127, max 128: scale = 255/255 = 1 -> -1, edge = 128, q0 = -128, bias = 128;
        // q = 128 - w: 128->0, -127->255, 0->128, 0.5->127.5->128, 1.5->126.5->126.
        checkGroup(
                8,
                new float[] {128, -127, 0, 0.5f, 1.5f},
                0,
                -1,
                128,
                new int[] {0, 255, 128, 128, 126},
                128);
    }

    @Test
    void constantGroupsAreExact() {
        // all 0.5: scale = max(0, 1e-7) = 1e-7 -> -1e-7 (|min| == |max|), edge = 0.5,
        // q0 = rint(0.5 / -1e-7) = -5e6, scale = 0.5 / -5e6 = -1e-7, bias = 0.5, every code 0.
        ReferenceQuantizer.Result half =
                checkGroup(4, new float[0], 0.5f, -1e-7f, 0.5f, new int[0], 0);
        assertEquals(0.5f, half.dequantize()[7]);
        // all zero: q0 = rint(0 / -1e-7) = 0, so the scale stays -1e-7 and the bias is +0.
        ReferenceQuantizer.Result zero = checkGroup(3, new float[0], 0f, -1e-7f, 0f, new int[0], 0);
        assertEquals(0f, zero.dequantize()[3]);
        // all 1e-8: q0 = rint(1e-8 / -1e-7) = rint(-0.1) = 0: bias 0, scale -1e-7, codes 0.
        checkGroup(2, new float[0], 1e-8f, -1e-7f, 0f, new int[0], 0);
    }

    @Test
    void float16ScalesAreRoundedAfterTheCodes() {
        float[] weight = new float[GROUP];
        ReferenceQuantizer.Result result =
                ReferenceQuantizer.quantize(weight, 1, GROUP, 4, GROUP, DataType.FLOAT16);
        // -1e-7 is a float16 subnormal: 1e-7 / 2^-24 = 1.68 rounds to 2, so the scale is -2^-23.
        assertEquals(-0x1p-23f, result.scales()[0]);
        assertEquals(DataType.FLOAT16, result.scaleType());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void errorStaysWithinHalfAStepInsideTheRangeAndOneStepEverywhere(int bits) {
        int n = (1 << bits) - 1;
        for (int groupSize : QuantSpec.SUPPORTED_GROUP_SIZES) {
            int rows = 6;
            int columns = 512;
            float[] weight =
                    QuantTestData.weights(bits * 7L + groupSize, rows, columns, bits, groupSize);
            float[] gaussian = QuantTestData.gaussian(bits * 13L + groupSize, rows * columns, 1f);
            for (float[] w : new float[][] {weight, gaussian}) {
                ReferenceQuantizer.Result result =
                        ReferenceQuantizer.quantize(w, rows, columns, bits, groupSize);
                float[] dequantized = result.dequantize();
                for (int g = 0; g < rows * columns / groupSize; g++) {
                    float scale = Math.abs(result.scales()[g]);
                    float bias = result.biases()[g];
                    float other = bias + n * result.scales()[g];
                    float low = Math.min(bias, other);
                    float high = Math.max(bias, other);
                    float slack = 4 * Math.ulp(Math.max(Math.abs(low), Math.abs(high)));
                    for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                        float error = Math.abs(w[i] - dequantized[i]);
                        String where = bits + " bits, group " + g + ", element " + i;
                        assertTrue(error <= scale + slack, where + ": error " + error);
                        if (w[i] >= low && w[i] <= high) {
                            assertTrue(error <= scale / 2 + slack, where + ": error " + error);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void largerExtremeIsExactAndZeroMapsToTheZeroCode(int bits) {
        int groupSize = 64;
        int rows = 8;
        int columns = 256;
        float[] w = QuantTestData.gaussian(bits, rows * columns, 0.05f);
        for (int i = 0; i < w.length; i += 5) {
            w[i] = 0f;
        }
        ReferenceQuantizer.Result result =
                ReferenceQuantizer.quantize(w, rows, columns, bits, groupSize);
        float[] dequantized = result.dequantize();
        int[] codes = result.codes();
        for (int g = 0; g < rows * columns / groupSize; g++) {
            int start = g * groupSize;
            int largest = start;
            for (int i = start; i < start + groupSize; i++) {
                if (Math.abs(w[i]) > Math.abs(w[largest])) {
                    largest = i;
                }
            }
            assertEquals(w[largest], dequantized[largest], "extreme of group " + g);
            assertEquals(result.biases()[g], w[largest], "bias of group " + g);
            // zero is the code -q0 = -bias/scale, so it dequantizes to (almost exactly) zero.
            int zeroCode = Math.round(-result.biases()[g] / result.scales()[g]);
            for (int i = start; i < start + groupSize; i++) {
                if (w[i] == 0f) {
                    assertEquals(zeroCode, codes[i], "zero code in group " + g);
                    assertEquals(0f, dequantized[i], Math.ulp(w[largest]), "zero in group " + g);
                }
            }
        }
    }

    @Test
    void matmulTransposedMatchesTheGroupwiseIdentity() {
        // sum_k x[k] * (q[k] * s + b) = sum over groups of s * sum(x * q) + b * sum(x).
        int rows = 5;
        int columns = 128;
        int groupSize = 32;
        int bits = 3;
        int m = 3;
        int[] codes = QuantTestData.randomCodes(5, rows * columns, bits);
        float[] scales = QuantTestData.gaussian(6, rows * columns / groupSize, 0.1f);
        float[] biases = QuantTestData.gaussian(7, rows * columns / groupSize, 0.5f);
        int[] packed = BitPacking.pack(codes, rows, columns, bits);
        ReferenceQuantizer.Result w =
                new ReferenceQuantizer.Result(
                        packed,
                        scales,
                        biases,
                        rows,
                        columns,
                        QuantSpec.of(bits, groupSize),
                        DataType.FLOAT32);
        float[] x = QuantTestData.gaussian(8, m * columns, 1f);
        float[] out = ReferenceQuantizer.matmulTransposed(x, m, w);
        assertEquals(m * rows, out.length);
        for (int i = 0; i < m; i++) {
            for (int n = 0; n < rows; n++) {
                double expected = 0;
                double magnitude = 0;
                for (int g = 0; g < columns / groupSize; g++) {
                    double xq = 0;
                    double xs = 0;
                    int group = n * columns / groupSize + g;
                    for (int k = g * groupSize; k < (g + 1) * groupSize; k++) {
                        xq += x[i * columns + k] * codes[n * columns + k];
                        xs += x[i * columns + k];
                        magnitude +=
                                (Math.abs(scales[group] * codes[n * columns + k])
                                                + Math.abs(biases[group]))
                                        * Math.abs(x[i * columns + k]);
                    }
                    expected += scales[group] * xq + biases[group] * xs;
                }
                // float dequantization, a double sum rounded once to float
                assertEquals(
                        expected,
                        out[i * rows + n],
                        FloatErrorBounds.affineProduct(columns, magnitude));
            }
        }
    }

    @Test
    void rejectsBadShapesAndSettings() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ReferenceQuantizer.quantize(new float[2 * 96], 2, 96, 4, 64));
        assertTrue(
                e.getMessage().contains("K=96") && e.getMessage().contains("64"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> ReferenceQuantizer.quantize(new float[64], 2, 64, 4, 64));
        assertThrows(
                IllegalArgumentException.class,
                () -> ReferenceQuantizer.quantize(new float[64], 1, 64, 7, 64));
        assertThrows(
                IllegalArgumentException.class,
                () -> ReferenceQuantizer.quantize(new float[64], 1, 64, 4, 16));
        float[] nan = new float[64];
        nan[3] = Float.NaN;
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> ReferenceQuantizer.quantize(nan, 1, 64, 4, 64));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        ReferenceQuantizer.dequantize(
                                new int[3], new float[1], new float[1], 1, 32, 4, 32));
    }

    @Test
    void halfFloatRoundsToNearestEven() {
        assertEquals((short) 0x3C00, HalfPrecision.floatToF16(1f));
        assertEquals((short) 0x7BFF, HalfPrecision.floatToF16(65504f));
        assertEquals((short) 0x7C00, HalfPrecision.floatToF16(65520f));
        assertEquals((short) 0x0001, HalfPrecision.floatToF16(0x1p-24f));
        assertEquals((short) 0x0000, HalfPrecision.floatToF16(0x1p-25f));
        assertEquals((short) 0x0001, HalfPrecision.floatToF16(0x1.8p-25f));
        assertEquals((short) 0x3C00, HalfPrecision.floatToF16(1f + 0x1p-11f));
        assertEquals((short) 0x3C02, HalfPrecision.floatToF16(1f + 0x3p-11f));
        assertEquals((short) 0x8000, HalfPrecision.floatToF16(-0f));
        Random random = new Random(1);
        for (int i = 0; i < 10000; i++) {
            float value = (float) (random.nextGaussian() * Math.pow(2, random.nextInt(40) - 28));
            float rounded = HalfPrecision.roundToF16(value);
            assertEquals(rounded, HalfPrecision.roundToF16(rounded), "rounding is idempotent");
            // half precision keeps 11 significant bits; its subnormal step is 2^-24
            assertTrue(Math.abs(value - rounded) <= Math.abs(value) * 0x1p-11f + 0x1p-25f);
        }
    }
}
