package dev.djlmetal.backend.metal.objc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.backend.metal.AffineQmmKernels;
import dev.djlmetal.backend.metal.MetalBuffer;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalPipeline;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;
import dev.djlmetal.backend.metal.MetalSize;
import dev.djlmetal.backend.metal.QmmCase;
import dev.djlmetal.backend.metal.QmmCases;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernels on a real Apple GPU through the Objective-C device layer, on the same cases as the
 * emulator and the stand-in ({@link QmmCases}: 3-D inputs and K over 512 for both kernels). Runs
 * only on macOS on arm64 (skipped elsewhere). Never run yet: no Mac was available to the project.
 */
@EnabledOnOs(value = OS.MAC, disabledReason = "Real Metal runs only on macOS (Apple Silicon)")
@EnabledIfSystemProperty(
        named = "os.arch",
        matches = "aarch64|arm64",
        disabledReason = "Real Metal runs only on Apple Silicon (arm64)")
class ObjcMetalDeviceTest {

    private static MetalQuantizedMatmul backend;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        assertTrue(
                Backends.isAvailable(BackendKind.METAL),
                Backends.provider(BackendKind.METAL).unavailableReason());
        backend =
                (MetalQuantizedMatmul)
                        Backends.create(
                                BackendKind.METAL, Device.cpu(), BackendSettings.defaults());
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        if (manager != null) {
            manager.close();
        }
    }

    static List<Arguments> variants() {
        return QmmCases.variants();
    }

    @Test
    void metalIsChosenByAutoAndSharesOneDevice() {
        assertEquals(BackendKind.METAL, Backends.resolve(BackendKind.AUTO, Device.cpu()));
        MetalQuantizedMatmul other =
                (MetalQuantizedMatmul)
                        Backends.create(
                                BackendKind.METAL, Device.cpu(), BackendSettings.defaults());
        assertTrue(other.getDevice() == backend.getDevice(), "one device per JVM");
    }

    @ParameterizedTest(name = "{0} bits={1} group_size={2}")
    @MethodSource("variants")
    void everyKernelVariantMatchesTheReference(DataType type, int bits, int groupSize) {
        int decodeMax = backend.getDecodeMaxRows();
        long seed = 31L * bits + groupSize;
        List<QmmCase> cases = new ArrayList<>(QmmCases.decode(type, bits, groupSize, decodeMax));
        cases.addAll(QmmCases.tiled(type, bits, groupSize, decodeMax));
        for (QmmCase c : cases) {
            c.check(backend, manager, seed++);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = DataType.class,
            names = {"FLOAT32", "FLOAT16"})
    void nanAndInfinityPropagateToTheirRow(DataType type) {
        QmmCases.checkNonFinitePropagation(backend, manager, type, backend.getDecodeMaxRows());
    }

    @Test
    void largeLayersMatchTheReference() {
        new QmmCase(4, 64, DataType.FLOAT16, new Shape(1, 2048), 1024).check(backend, manager, 1);
        new QmmCase(4, 64, DataType.FLOAT16, new Shape(100, 2048), 512).check(backend, manager, 2);
        new QmmCase(4, 64, DataType.FLOAT32, new Shape(1, 8192), 2048).check(backend, manager, 3);
    }

    @Test
    void aClosedBufferFailsTheDispatchWithoutAbortingTheProcess() {
        ObjcMetalDevice device = (ObjcMetalDevice) backend.getDevice();
        MetalPipeline pipeline =
                device.library(AffineQmmKernels.source()).pipeline("affine_qmv_float_b4_g32");
        List<MetalBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            buffers.add(device.newBuffer(256));
        }
        buffers.get(4).close();
        assertThrows(
                IllegalStateException.class,
                () ->
                        device.dispatch(
                                pipeline,
                                buffers,
                                AffineQmmKernels.arguments(1, 8, 32),
                                new MetalSize(1, 1, 1),
                                new MetalSize(64, 1, 1)));
        for (MetalBuffer buffer : buffers) {
            buffer.close();
        }
    }

    @Test
    void compilerErrorsCarryAppleCompilersText() {
        MetalException e =
                assertThrows(
                        MetalException.class,
                        () ->
                                backend.getDevice()
                                        .compileLibrary(
                                                "kernel void k(device float* out [[buffer(0)]])"
                                                        + " { out[0] = missing_name; }\n"));
        assertTrue(e.getMessage().contains("missing_name"), e.getMessage());
    }
}
