package dev.djlmetal.backend.metal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.metal.emulator.CxxCompiler;
import dev.djlmetal.backend.metal.emulator.EmulatedMetalDevice;
import dev.djlmetal.quant.QuantizedTensor;
import dev.djlmetal.quant.ReferenceQuantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared dispatch code (kernel choice, uploads, validation), run on the emulated device. */
class MetalQuantizedMatmulTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(
                CxxCompiler.find().isPresent(),
                "Skipping the Metal emulator tests: " + CxxCompiler.searchDescription());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        if (manager != null) {
            manager.close();
        }
    }

    private static MetalQuantizedMatmul backend(RecordingDevice device, String decodeMaxRows) {
        BackendSettings.Builder settings = BackendSettings.builder();
        if (decodeMaxRows != null) {
            settings.optProperty(MetalQuantizedMatmul.DECODE_MAX_ROWS_PROPERTY, decodeMaxRows);
        }
        return new MetalQuantizedMatmul(BackendKind.METAL_EMULATED, device, settings.build());
    }

    private static QuantizedTensor randomWeight(NDManager scope, int n, int k, DataType scales) {
        Random random = new Random(n * 31L + k);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        return ReferenceQuantizer.quantize(w, n, k, 4, 32).toTensor(scope, scales);
    }

    @Test
    void kernelChoiceFollowsTheConfiguredThreshold() {
        RecordingDevice device = new RecordingDevice(EmulatedMetalDevice.create());
        MetalQuantizedMatmul backend = backend(device, "2");
        assertEquals(2, backend.getDecodeMaxRows());
        try (NDManager scope = manager.newSubManager();
                PreparedWeight weight =
                        backend.prepare(randomWeight(scope, 9, 32, DataType.FLOAT32))) {
            weight.apply(scope.ones(new Shape(2, 32)));
            weight.apply(scope.ones(new Shape(3, 32)));
        }
        assertEquals(
                List.of("affine_qmv_float_b4_g32 2x2x1", "affine_qmm_float_b4_g32 1x1x1"),
                device.dispatched());
    }

    @Test
    void defaultThresholdIsEightRows() {
        RecordingDevice device = new RecordingDevice(EmulatedMetalDevice.create());
        assertEquals(
                MetalQuantizedMatmul.DEFAULT_DECODE_MAX_ROWS,
                backend(device, null).getDecodeMaxRows());
        assertEquals(8, MetalQuantizedMatmul.DEFAULT_DECODE_MAX_ROWS);
    }

    @Test
    void rejectsBadThresholds() {
        RecordingDevice device = new RecordingDevice(EmulatedMetalDevice.create());
        for (String bad : new String[] {"-1", "many", "100000"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> backend(device, bad));
            assertTrue(e.getMessage().contains("metal.decodeMaxRows=" + bad), e.getMessage());
        }
    }

    @Test
    void halfScalesGiveTheProductOfTheirFloatValues() {
        RecordingDevice device = new RecordingDevice(EmulatedMetalDevice.create());
        MetalQuantizedMatmul backend = backend(device, null);
        try (NDManager scope = manager.newSubManager()) {
            QuantizedTensor half = randomWeight(scope, 5, 64, DataType.FLOAT16);
            QuantizedTensor asFloat =
                    new QuantizedTensor(
                            half.packed().duplicate(),
                            half.scales().toType(DataType.FLOAT32, true),
                            half.biases().toType(DataType.FLOAT32, true),
                            4,
                            32);
            NDArray x = scope.randomUniform(-1, 1, new Shape(3, 64));
            try (PreparedWeight a = backend.prepare(half);
                    PreparedWeight b = backend.prepare(asFloat)) {
                assertArrayEquals(b.apply(x).toFloatArray(), a.apply(x).toFloatArray());
                // 5 rows x 32 words of codes, 5 x 2 float32 scales and biases.
                assertEquals(5 * 64 / 2 + 2 * 5 * 2 * 4, a.extraResidentBytes());
            }
        }
    }

    @Test
    void concurrentProductsMatchSerialOnes() throws Exception {
        MetalQuantizedMatmul backend =
                backend(new RecordingDevice(EmulatedMetalDevice.create()), null);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (NDManager scope = manager.newSubManager();
                PreparedWeight weight =
                        backend.prepare(randomWeight(scope, 40, 64, DataType.FLOAT32))) {
            List<NDArray> inputs = new ArrayList<>();
            List<float[]> serial = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                NDArray x = scope.randomUniform(-1, 1, new Shape(i % 2 == 0 ? 1 : 12, 64));
                inputs.add(x);
                serial.add(weight.apply(x).toFloatArray());
            }
            List<Future<float[]>> results = new ArrayList<>();
            for (NDArray x : inputs) {
                results.add(pool.submit(() -> weight.apply(x).toFloatArray()));
            }
            for (int i = 0; i < inputs.size(); i++) {
                assertArrayEquals(serial.get(i), results.get(i).get(), "input " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void emptyBatchGivesAnEmptyProductWithoutDispatch() {
        RecordingDevice device = new RecordingDevice(EmulatedMetalDevice.create());
        MetalQuantizedMatmul backend = backend(device, null);
        try (NDManager scope = manager.newSubManager();
                PreparedWeight weight =
                        backend.prepare(randomWeight(scope, 4, 32, DataType.FLOAT32))) {
            NDArray y = weight.apply(scope.zeros(new Shape(2, 0, 32), DataType.FLOAT16));
            assertEquals(new Shape(2, 0, 4), y.getShape());
            assertEquals(DataType.FLOAT16, y.getDataType());
        }
        assertTrue(device.dispatched().isEmpty());
    }

    @Test
    void rejectsBadActivationsAndClosedWeights() {
        RecordingDevice device = new RecordingDevice(EmulatedMetalDevice.create());
        MetalQuantizedMatmul backend = backend(device, null);
        try (NDManager scope = manager.newSubManager()) {
            PreparedWeight weight = backend.prepare(randomWeight(scope, 4, 32, DataType.FLOAT32));
            IllegalArgumentException wrongK =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> weight.apply(scope.ones(new Shape(1, 31))));
            assertTrue(wrongK.getMessage().contains("K=32"), wrongK.getMessage());
            IllegalArgumentException wrongType =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> weight.apply(scope.ones(new Shape(1, 32), DataType.FLOAT64)));
            assertTrue(wrongType.getMessage().contains("FLOAT64"), wrongType.getMessage());
            weight.close();
            assertThrows(
                    IllegalStateException.class, () -> weight.apply(scope.ones(new Shape(1, 32))));
        }
        assertTrue(device.dispatched().isEmpty());
    }
}
