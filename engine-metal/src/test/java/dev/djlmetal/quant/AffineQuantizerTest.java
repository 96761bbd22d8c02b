package dev.djlmetal.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AffineQuantizerTest {

    private static NDManager manager;

    @BeforeAll
    static void createManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }

    static Stream<Arguments> settings() {
        List<Arguments> settings = new ArrayList<>();
        for (int bits : QuantSpec.SUPPORTED_BITS) {
            for (int groupSize : QuantSpec.SUPPORTED_GROUP_SIZES) {
                for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                    settings.add(Arguments.of(bits, groupSize, type));
                }
            }
        }
        return settings.stream();
    }

    @Test
    void ndarrayRoundIsHalfToEven() {
        try (NDArray values = manager.create(new float[] {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 3.5f})) {
            assertArrayEquals(
                    new float[] {0f, 2f, 2f, -0f, -2f, 4f}, values.round().toFloatArray());
        }
    }

    @ParameterizedTest
    @MethodSource("settings")
    void quantizeMatchesTheReferenceBitForBit(int bits, int groupSize, DataType type) {
        int rows = 4;
        int columns = 2 * 128;
        float[] values =
                QuantTestData.weights(bits * 100L + groupSize, rows, columns, bits, groupSize);
        ReferenceQuantizer.Result expected =
                ReferenceQuantizer.quantize(values, rows, columns, bits, groupSize, type);
        try (NDManager scope = manager.newSubManager()) {
            NDArray weight = QuantTestData.array(scope, values, rows, columns, type);
            QuantizedTensor tensor = AffineQuantizer.quantize(weight, bits, groupSize);
            assertEquals(new Shape(rows, columns * bits / 32), tensor.packed().getShape());
            assertEquals(new Shape(rows, columns / groupSize), tensor.scales().getShape());
            assertEquals(type, tensor.scales().getDataType());
            assertEquals(type, tensor.biases().getDataType());
            ReferenceQuantizer.Result actual = ReferenceQuantizer.fromTensor(tensor);
            assertArrayEquals(expected.packed(), actual.packed(), "packed words");
            assertArrayEquals(expected.scales(), actual.scales(), "scales");
            assertArrayEquals(expected.biases(), actual.biases(), "biases");
        }
    }

    @ParameterizedTest
    @MethodSource("settings")
    void dequantizeMatchesTheReference(int bits, int groupSize, DataType type) {
        int rows = 3;
        int columns = 256;
        float[] values = QuantTestData.gaussian(bits * 10L + groupSize, rows * columns, 0.1f);
        ReferenceQuantizer.Result reference =
                ReferenceQuantizer.quantize(values, rows, columns, bits, groupSize, type);
        float[] expected = reference.dequantize();
        if (type == DataType.FLOAT16) {
            expected = QuantTestData.toHalfPrecision(expected);
        }
        try (NDManager scope = manager.newSubManager();
                QuantizedTensor tensor = reference.toTensor(scope, type);
                NDArray dequantized = AffineQuantizer.dequantize(tensor)) {
            assertEquals(new Shape(rows, columns), dequantized.getShape());
            assertEquals(type, dequantized.getDataType());
            float[] actual = dequantized.toType(DataType.FLOAT32, false).toFloatArray();
            assertArrayEquals(expected, actual);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void unpackCodesMatchesBitPacking(int bits) {
        for (int rows : new int[] {1, 5}) {
            for (int columns : new int[] {32, 96, 160}) {
                int[] codes =
                        QuantTestData.randomCodes(rows * 1000L + columns, rows * columns, bits);
                int[] packed = BitPacking.pack(codes, rows, columns, bits);
                try (NDArray packedArray =
                                manager.create(packed, new Shape(rows, columns * bits / 32));
                        NDArray unpacked =
                                AffineQuantizer.unpackCodes(packedArray, bits, columns)) {
                    assertEquals(DataType.INT32, unpacked.getDataType());
                    assertEquals(new Shape(rows, columns), unpacked.getShape());
                    assertArrayEquals(codes, unpacked.toIntArray(), rows + "x" + columns);
                }
            }
        }
    }

    @Test
    void unpackCodesReadsHandPackedThreeBitWords() {
        // codes k % 8 for k = 0..31 pack to 0x88FAC688, 0xC688FAC6, 0xFAC688FA (see
        // BitPackingTest).
        int[] words = {0x88FAC688, 0xC688FAC6, 0xFAC688FA};
        try (NDArray packed = manager.create(words, new Shape(1, 3));
                NDArray codes = AffineQuantizer.unpackCodes(packed, 3, 32)) {
            int[] actual = codes.toIntArray();
            for (int k = 0; k < 32; k++) {
                assertEquals(k % 8, actual[k], "code " + k);
            }
        }
    }

    @Test
    void roundTripThroughTensorsKeepsEverything() {
        float[] values = QuantTestData.gaussian(3, 2 * 64, 1f);
        ReferenceQuantizer.Result reference = ReferenceQuantizer.quantize(values, 2, 64, 5, 32);
        try (NDManager scope = manager.newSubManager();
                QuantizedTensor tensor = reference.toTensor(scope, DataType.FLOAT32)) {
            ReferenceQuantizer.Result back = ReferenceQuantizer.Result.fromTensor(tensor);
            assertArrayEquals(reference.packed(), back.packed());
            assertArrayEquals(reference.scales(), back.scales());
            assertArrayEquals(reference.biases(), back.biases());
            assertEquals(reference.spec(), back.spec());
        }
    }

    @Test
    void intermediateArraysAreFreed() {
        float[] values = QuantTestData.gaussian(4, 4 * 128, 1f);
        try (NDManager scope = manager.newSubManager()) {
            NDArray weight = scope.create(values, new Shape(4, 128));
            QuantizedTensor tensor = AffineQuantizer.quantize(weight, 3, 64);
            NDArray dequantized = AffineQuantizer.dequantize(tensor);
            NDArray codes = AffineQuantizer.unpackCodes(tensor.packed(), 3, 128);
            // the weight, the three arrays of the tensor, the dequantized weight and the codes
            assertEquals(6, scope.getManagedArrays().size());
            assertTrue(dequantized.getManager() == scope && codes.getManager() == scope);
        }
    }

    @Test
    void rejectsBadWeights() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray vector = scope.zeros(new Shape(64));
            assertMessage(() -> AffineQuantizer.quantize(vector, 4, 64), "2-D");
            NDArray cube = scope.zeros(new Shape(2, 2, 64));
            assertMessage(() -> AffineQuantizer.quantize(cube, 4, 64), "2-D");
            NDArray ragged = scope.zeros(new Shape(2, 96));
            assertMessage(() -> AffineQuantizer.quantize(ragged, 4, 64), "K=96");
            assertMessage(() -> AffineQuantizer.quantize(ragged, 4, 64), "group size 64");
            NDArray matrix = scope.zeros(new Shape(2, 64));
            assertMessage(() -> AffineQuantizer.quantize(matrix, 7, 64), "bits=7");
            assertMessage(() -> AffineQuantizer.quantize(matrix, 4, 16), "group_size=16");
            NDArray integers = scope.zeros(new Shape(2, 64), DataType.INT32);
            assertMessage(() -> AffineQuantizer.quantize(integers, 4, 64), "int32");
            NDArray nan = scope.zeros(new Shape(2, 64)).add(Float.NaN);
            assertMessage(() -> AffineQuantizer.quantize(nan, 4, 64), "NaN");
            NDArray packed = scope.zeros(new Shape(2, 4), DataType.INT32);
            assertMessage(() -> AffineQuantizer.unpackCodes(packed, 4, 64), "expected 64");
            assertMessage(() -> AffineQuantizer.unpackCodes(packed, 3, 40), "multiple of 32");
        }
    }

    private static void assertMessage(Runnable action, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
        assertTrue(
                e.getMessage().toLowerCase().contains(fragment.toLowerCase()),
                "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
