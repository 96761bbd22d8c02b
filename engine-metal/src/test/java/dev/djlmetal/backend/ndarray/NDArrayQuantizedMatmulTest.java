package dev.djlmetal.backend.ndarray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.nn.ArrayAsserts;
import dev.djlmetal.nn.PlainQuantizedMatrix;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NDArrayQuantizedMatmulTest {

    private static final BackendSettings CACHED =
            BackendSettings.builder().optCacheDequantized(true).build();

    private static float[] randomInput(int m, int k, long seed) {
        Random random = new Random(seed);
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @Test
    void providerIsRegisteredAndAlwaysAvailable() {
        assertInstanceOf(NDArrayBackendProvider.class, Backends.provider(BackendKind.NDARRAY));
        assertTrue(Backends.isAvailable(BackendKind.NDARRAY));
        QuantizedMatmul backend =
                Backends.create(BackendKind.NDARRAY, Device.cpu(), BackendSettings.defaults());
        assertEquals(BackendKind.NDARRAY, backend.kind());
        assertInstanceOf(NDArrayQuantizedMatmul.class, backend);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void productMatchesPlainJavaCachedAndUncached(int bits) {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(24, 128, bits, 64, bits);
        int m = 5;
        float[] x = randomInput(m, 128, 7);
        float[] expected = plain.matmulTransposed(x, m);
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedTensor weight = plain.toTensor(manager, DataType.FLOAT32);
            NDArray input = manager.create(x, new Shape(m, 128));
            BackendSettings[] settingsList = {BackendSettings.defaults(), CACHED};
            for (BackendSettings settings : settingsList) {
                try (PreparedWeight prepared =
                        new NDArrayQuantizedMatmul(settings).prepare(weight)) {
                    NDArray y = prepared.apply(input);
                    assertEquals(new Shape(m, 24), y.getShape());
                    assertEquals(DataType.FLOAT32, y.getDataType());
                    ArrayAsserts.assertProductClose(
                            manager.create(expected, new Shape(m, 24)),
                            y,
                            input,
                            plain.affineMagnitudes(),
                            null);
                }
            }
        }
    }

    @Test
    void cachedWeightReportsItsBytesAndIsReleasedOnClose() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(16, 64, 4, 32, 3);
        try (NDManager manager = NDManager.newBaseManager();
                NDManager weights = manager.newSubManager()) {
            QuantizedTensor weight = plain.toTensor(weights, DataType.FLOAT16);
            NDArray x = manager.create(randomInput(2, 64, 5), new Shape(2, 64));
            int before = weights.getManagedArrays().size();
            PreparedWeight prepared = new NDArrayQuantizedMatmul(CACHED).prepare(weight);
            assertEquals(0, prepared.extraResidentBytes());
            prepared.apply(x);
            assertEquals(16L * 64 * 4, prepared.extraResidentBytes());
            assertEquals(before + 1, weights.getManagedArrays().size());
            prepared.apply(x);
            assertEquals(before + 1, weights.getManagedArrays().size());
            prepared.close();
            assertEquals(0, prepared.extraResidentBytes());
            assertEquals(before, weights.getManagedArrays().size());
            assertThrows(IllegalStateException.class, () -> prepared.apply(x));
        }
    }

    @Test
    void uncachedProductLeavesOnlyItsResult() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(16, 64, 3, 32, 4);
        try (NDManager weights = NDManager.newBaseManager();
                NDManager activations = NDManager.newBaseManager()) {
            QuantizedTensor weight = plain.toTensor(weights, DataType.FLOAT16);
            NDArray x =
                    activations
                            .create(randomInput(3, 64, 6), new Shape(3, 64))
                            .toType(DataType.FLOAT16, false);
            int weightArrays = weights.getManagedArrays().size();
            int activationArrays = activations.getManagedArrays().size();
            try (PreparedWeight prepared =
                    new NDArrayQuantizedMatmul(BackendSettings.defaults()).prepare(weight)) {
                NDArray y = prepared.apply(x);
                assertEquals(DataType.FLOAT16, y.getDataType());
                assertEquals(0, prepared.extraResidentBytes());
                assertEquals(weightArrays, weights.getManagedArrays().size());
                assertEquals(activationArrays + 1, activations.getManagedArrays().size());
                assertTrue(activations.getManagedArrays().contains(y));
            }
        }
    }

    @Test
    void wrongInputWidthNamesExpectedK() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(8, 64, 4, 32, 8);
        try (NDManager manager = NDManager.newBaseManager()) {
            PreparedWeight prepared =
                    new NDArrayQuantizedMatmul(BackendSettings.defaults())
                            .prepare(plain.toTensor(manager, DataType.FLOAT32));
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> prepared.apply(manager.zeros(new Shape(2, 63))));
            assertTrue(e.getMessage().contains("in_features=64"), e.getMessage());
        }
    }
}
