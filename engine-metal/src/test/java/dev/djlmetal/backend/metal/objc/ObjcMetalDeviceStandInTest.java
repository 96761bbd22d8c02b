package dev.djlmetal.backend.metal.objc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.metal.AffineQmmKernels;
import dev.djlmetal.backend.metal.MetalBuffer;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;
import dev.djlmetal.backend.metal.MetalSize;
import dev.djlmetal.backend.metal.QmmCase;
import dev.djlmetal.backend.metal.QmmCases;
import dev.djlmetal.quant.QuantizedTensor;
import dev.djlmetal.quant.ReferenceQuantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The genuine Objective-C device layer ({@link ObjcMetalDevice}, {@link MetalBackendProvider},
 * JNA's {@code objc_msgSend} prototypes) run end to end against the stand-in for libobjc and Metal
 * on Linux: every kernel variant through real message sends, plus one test for each finding of the
 * review in issue 13. After every test the stand-in must have seen no fatal error (what would abort
 * a Mac process), no message outside an autorelease pool, and no pool left open.
 */
class ObjcMetalDeviceStandInTest {

    private static final String[] METAL_CLASSES = {
        "MTLLibrary",
        "MTLFunction",
        "MTLComputePipelineState",
        "MTLBuffer",
        "MTLCommandQueue",
        "MTLCommandBuffer",
        "MTLComputeCommandEncoder",
        "MTLCompileOptions",
        "NSString",
        "NSError"
    };

    private static StandIn standIn;
    private static ObjcMetalDevice device;
    private static MetalQuantizedMatmul backend;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        StandIn.assumeSupported();
        standIn = StandIn.get();
        standIn.clearDiagnostics();
        device = ObjcMetalDevice.open(standIn.libraries());
        backend = new MetalQuantizedMatmul(BackendKind.METAL, device, BackendSettings.defaults());
        manager = NDManager.newBaseManager();
        standIn.assertClean();
    }

    @AfterAll
    static void tearDown() {
        if (manager != null) {
            manager.close();
        }
        if (device != null) {
            device.close();
        }
    }

    @BeforeEach
    void clear() {
        standIn.clearDiagnostics();
        standIn.failCompilesWith(null);
        standIn.emulateMacOs(15);
    }

    @AfterEach
    void nothingWentWrong() {
        standIn.assertClean();
    }

    static List<Arguments> variants() {
        return QmmCases.variants();
    }

    private static Map<String, Long> liveObjects() {
        Map<String, Long> live = new java.util.LinkedHashMap<>();
        for (String cls : METAL_CLASSES) {
            live.put(cls, standIn.liveObjects(cls));
        }
        return live;
    }

    @ParameterizedTest(name = "{0} bits={1} group_size={2}")
    @MethodSource("variants")
    void everyKernelMatchesTheReferenceThroughTheObjectiveCLayer(
            DataType type, int bits, int groupSize) {
        int decodeMax = backend.getDecodeMaxRows();
        long encoders = standIn.sends("computeCommandEncoder");
        long ends = standIn.sends("endEncoding");
        long seed = 29L * bits + groupSize;
        List<QmmCase> cases = new ArrayList<>(QmmCases.decode(type, bits, groupSize, decodeMax));
        cases.addAll(QmmCases.tiled(type, bits, groupSize, decodeMax));
        for (QmmCase c : cases) {
            c.check(backend, manager, seed++);
        }
        assertEquals(cases.size(), standIn.sends("computeCommandEncoder") - encoders);
        assertEquals(cases.size(), standIn.sends("endEncoding") - ends);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = DataType.class,
            names = {"FLOAT32", "FLOAT16"})
    void nanAndInfinityPropagateToTheirRow(DataType type) {
        QmmCases.checkNonFinitePropagation(backend, manager, type, backend.getDecodeMaxRows());
    }

    // Finding 1: an exception between computeCommandEncoder and endEncoding aborted the process.

    @Test
    void aBufferClosedBeforeTheDispatchFailsCleanlyAndEndsNothingHalfway() {
        MetalPipeline pipeline =
                device.library(AffineQmmKernels.source()).pipeline("affine_qmv_float_b4_g32");
        List<MetalBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            buffers.add(device.newBuffer(256));
        }
        buffers.get(2).close();
        long encoders = standIn.sends("computeCommandEncoder");
        long ends = standIn.sends("endEncoding");
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                device.dispatch(
                                        pipeline,
                                        buffers,
                                        AffineQmmKernels.arguments(1, 8, 32),
                                        new MetalSize(1, 1, 1),
                                        new MetalSize(64, 1, 1)));
        assertTrue(e.getMessage().contains("released"), e.getMessage());
        // Every handle is resolved before the encoder exists: none was made, none left open.
        assertEquals(encoders, standIn.sends("computeCommandEncoder"));
        assertEquals(ends, standIn.sends("endEncoding"));
        for (MetalBuffer buffer : buffers) {
            buffer.close();
        }
    }

    @Test
    void aPipelineReleasedWithItsLibraryFailsCleanly() {
        MetalLibrary library = device.compileLibrary(AffineQmmKernels.source());
        MetalPipeline pipeline = library.pipeline("affine_qmm_half_b8_g64");
        library.close();
        List<MetalBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            buffers.add(device.newBuffer(64));
        }
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                device.dispatch(
                                        pipeline,
                                        buffers,
                                        AffineQmmKernels.arguments(1, 1, 64),
                                        new MetalSize(1, 1, 1),
                                        new MetalSize(64, 1, 1)));
        assertTrue(e.getMessage().contains("affine_qmm_half_b8_g64"), e.getMessage());
        for (MetalBuffer buffer : buffers) {
            buffer.close();
        }
    }

    @Test
    void closingAWeightWhileProductsRunNeverLeavesAnEncoderOpen() throws Exception {
        long encoders = standIn.sends("computeCommandEncoder");
        long ends = standIn.sends("endEncoding");
        Random random = new Random(3);
        float[] w = new float[16 * 64];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (NDManager scope = manager.newSubManager();
                QuantizedTensor weight =
                        ReferenceQuantizer.quantize(w, 16, 64, 4, 64)
                                .toTensor(scope, DataType.FLOAT32)) {
            NDArray x = scope.randomUniform(-1, 1, new Shape(1, 64));
            for (int round = 0; round < 20; round++) {
                PreparedWeight prepared = backend.prepare(weight);
                CountDownLatch started = new CountDownLatch(1);
                Future<Integer> products =
                        pool.submit(
                                () -> {
                                    int done = 0;
                                    started.countDown();
                                    try {
                                        for (int i = 0; i < 50; i++) {
                                            prepared.apply(x).close();
                                            done++;
                                        }
                                    } catch (IllegalStateException closed) {
                                        assertTrue(
                                                closed.getMessage().contains("closed")
                                                        || closed.getMessage().contains("released"),
                                                closed.getMessage());
                                    }
                                    return done;
                                });
                started.await();
                prepared.close();
                products.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(
                standIn.sends("computeCommandEncoder") - encoders,
                standIn.sends("endEncoding") - ends);
    }

    // Finding 2: backend=auto picked Metal before the kernels were compiled.

    @Test
    void aRejectedCompilationMakesMetalUnavailableWithTheCompilersMessage() {
        standIn.failCompilesWith(StandInScenarios.REJECTION);
        MetalBackendProvider provider = new MetalBackendProvider(standIn.libraries());
        long compiles = standIn.compileCount();
        assertFalse(provider.isAvailable());
        assertTrue(
                provider.unavailableReason().contains(StandInScenarios.REJECTION),
                provider.unavailableReason());
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> provider.create(BackendSettings.defaults()));
        assertTrue(e.getMessage().contains(StandInScenarios.REJECTION), e.getMessage());
        assertEquals(compiles + 1, standIn.compileCount(), "the failure is remembered");
    }

    @Test
    void autoFallsBackToCpuWithOneWarningQuotingTheCompiler() throws Exception {
        ChildJvm.Result result =
                ChildJvm.run(StandInScenarios.class, standInProperties(), "auto", "reject");
        assertEquals(0, result.exitCode, result.toString());
        assertTrue(result.stdout.contains("FIRST=cpu"), result.toString());
        assertTrue(result.stdout.contains("SECOND=cpu"), result.toString());
        assertTrue(result.stdout.contains("COMPILES=1"), result.toString());
        long warnings =
                result.stderr
                        .lines()
                        .filter(l -> l.contains("WARN") && l.contains(StandInScenarios.REJECTION))
                        .count();
        assertEquals(1, warnings, result.toString());
    }

    @Test
    void autoPicksMetalWhenTheKernelsCompile() throws Exception {
        ChildJvm.Result result = ChildJvm.run(StandInScenarios.class, standInProperties(), "auto");
        assertEquals(0, result.exitCode, result.toString());
        assertTrue(result.stdout.contains("FIRST=metal"), result.toString());
        assertTrue(result.stdout.contains("COMPILES=1"), result.toString());
        assertFalse(result.stderr.contains("Metal is unavailable"), result.toString());
    }

    private static Map<String, String> standInProperties() {
        return Map.of(
                MetalBackendProvider.RUNTIME_PATH_PROPERTY, standIn.library().toString(),
                MetalBackendProvider.FOUNDATION_PATH_PROPERTY, standIn.library().toString(),
                MetalBackendProvider.CORE_GRAPHICS_PATH_PROPERTY, standIn.coreGraphics().toString(),
                MetalBackendProvider.METAL_PATH_PROPERTY, standIn.library().toString());
    }

    // Finding 3: every backend recompiled the kernels, and nothing released them.

    @Test
    void theKernelsAreCompiledOncePerDeviceAndReleasedWithIt() {
        Map<String, Long> before = liveObjects();
        long compiles = standIn.compileCount();
        ObjcMetalDevice own = ObjcMetalDevice.open(standIn.libraries());
        QuantizedMatmul first =
                new MetalQuantizedMatmul(BackendKind.METAL, own, BackendSettings.defaults());
        QuantizedMatmul second =
                new MetalQuantizedMatmul(BackendKind.METAL, own, BackendSettings.defaults());
        assertEquals(compiles + 1, standIn.compileCount());
        long pipelines = standIn.sends("newComputePipelineStateWithFunction:error:");
        new QmmCase(4, 64, DataType.FLOAT32, new Shape(1, 64), 8).check(first, manager, 1);
        new QmmCase(4, 64, DataType.FLOAT32, new Shape(1, 64), 8).check(second, manager, 2);
        assertEquals(pipelines + 1, standIn.sends("newComputePipelineStateWithFunction:error:"));
        assertEquals(1, standIn.liveObjects("MTLLibrary") - before.get("MTLLibrary"));
        long device = standIn.retainCount(deviceHandle(own));
        own.close();
        own.close();
        assertEquals(before, liveObjects(), "every Metal object made for the device is released");
        assertEquals(device - 2, standIn.retainCount(deviceHandle(own)), "queue and our reference");
        assertThrows(IllegalStateException.class, () -> own.newBuffer(16));
    }

    private static com.sun.jna.Pointer deviceHandle(ObjcMetalDevice device) {
        try {
            java.lang.reflect.Field field = ObjcMetalDevice.class.getDeclaredField("device");
            field.setAccessible(true);
            return (com.sun.jna.Pointer) field.get(device);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theProviderSharesOneCompiledLibraryAcrossBackends() {
        MetalBackendProvider provider = new MetalBackendProvider(standIn.libraries());
        long compiles = standIn.compileCount();
        assertTrue(provider.isAvailable(), provider.unavailableReason());
        MetalQuantizedMatmul a =
                assertInstanceOf(
                        MetalQuantizedMatmul.class, provider.create(BackendSettings.defaults()));
        MetalQuantizedMatmul b =
                assertInstanceOf(
                        MetalQuantizedMatmul.class, provider.create(BackendSettings.defaults()));
        assertSame(a.getDevice(), b.getDevice());
        assertEquals(compiles + 1, standIn.compileCount());
    }

    // Finding 4: newBuffer and contents were sent outside an autorelease pool.

    @Test
    void aWholeLifecycleSendsEveryMessageInsideAPoolAndLeaksNothing() {
        Map<String, Long> before = liveObjects();
        long allocations = standIn.sends("newBufferWithLength:options:");
        ObjcMetalDevice own = ObjcMetalDevice.open(standIn.libraries());
        MetalQuantizedMatmul ownBackend =
                new MetalQuantizedMatmul(BackendKind.METAL, own, BackendSettings.defaults());
        new QmmCase(3, 32, DataType.FLOAT16, new Shape(2, 96), 9).check(ownBackend, manager, 4);
        new QmmCase(3, 32, DataType.FLOAT16, new Shape(40, 96), 9).check(ownBackend, manager, 5);
        own.close();
        assertEquals(before, liveObjects());
        // The stand-in counts messages sent with no pool open as warnings; @AfterEach checks none.
        // Two prepared weights (3 buffers each) and two products (2 buffers each).
        assertEquals(10, standIn.sends("newBufferWithLength:options:") - allocations);
    }

    // Finding 5: MTLCreateSystemDefaultDevice may return nil without CoreGraphics.

    @Test
    void theDeviceOpensInAFreshProcessBecauseCoreGraphicsIsLoadedFirst() throws Exception {
        ChildJvm.Result result = ChildJvm.run(StandInScenarios.class, Map.of(), "fresh-device");
        assertEquals(0, result.exitCode, result.toString());
        assertTrue(result.stdout.contains("NAME=djl-metal stand-in"), result.toString());
        assertTrue(result.stdout.contains("REFUSALS=0"), result.toString());
    }

    // Finding 6: fast math was on by default (options:nil).

    @Test
    void theKernelsCompileWithSafeMathOnMacOs15() {
        standIn.emulateMacOs(15);
        long setMathMode = standIn.sends("setMathMode:");
        try (ObjcMetalDevice own = ObjcMetalDevice.open(standIn.libraries())) {
            own.library(AffineQmmKernels.source());
        }
        assertEquals(StandIn.MATH_MODE_SAFE, standIn.lastMathMode());
        assertEquals(setMathMode + 1, standIn.sends("setMathMode:"));
    }

    @Test
    void theKernelsCompileWithoutFastMathBeforeMacOs15() {
        standIn.emulateMacOs(14);
        long setMathMode = standIn.sends("setMathMode:");
        long setFastMath = standIn.sends("setFastMathEnabled:");
        try (ObjcMetalDevice own = ObjcMetalDevice.open(standIn.libraries())) {
            own.library(AffineQmmKernels.source());
        }
        assertEquals(StandIn.MATH_MODE_SAFE, standIn.lastMathMode());
        assertEquals(setMathMode, standIn.sends("setMathMode:"), "macOS 14 has no mathMode");
        assertEquals(setFastMath + 1, standIn.sends("setFastMathEnabled:"));
    }

    // The error paths of the genuine layer.

    @Test
    void aKernelFaultEndsTheCommandBufferInErrorWithTheEmulatorsMessage() {
        MetalPipeline pipeline =
                device.library(AffineQmmKernels.source()).pipeline("affine_qmv_float_b4_g32");
        List<MetalBuffer> buffers = new ArrayList<>();
        // N = 8, K = 32, M = 2: x needs 2 * 32 floats but gets one row only.
        int[] lengths = {8 * 32 / 2, 8 * 4, 8 * 4, 32 * 4, 2 * 8 * 4};
        for (int length : lengths) {
            buffers.add(device.newBuffer(length));
        }
        MetalException e =
                assertThrows(
                        MetalException.class,
                        () ->
                                device.dispatch(
                                        pipeline,
                                        buffers,
                                        AffineQmmKernels.arguments(2, 8, 32),
                                        new MetalSize(1, 2, 1),
                                        new MetalSize(64, 1, 1)));
        assertTrue(e.getMessage().contains("command buffer status 5"), e.getMessage());
        assertTrue(e.getMessage().contains("buffer(3) (parameter `x`)"), e.getMessage());
        assertTrue(e.getMessage().contains("out-of-bounds"), e.getMessage());
        for (MetalBuffer buffer : buffers) {
            buffer.close();
        }
    }

    @Test
    void argumentBytesOverFourKilobytesAreRefusedBeforeMetalSeesThem() {
        MetalPipeline pipeline =
                device.library(AffineQmmKernels.source()).pipeline("affine_qmv_float_b4_g32");
        try (MetalBuffer buffer = device.newBuffer(64)) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    device.dispatch(
                                            pipeline,
                                            List.of(buffer),
                                            java.nio.ByteBuffer.allocate(4097),
                                            new MetalSize(1, 1, 1),
                                            new MetalSize(64, 1, 1)));
            assertTrue(e.getMessage().contains("4096"), e.getMessage());
        }
    }

    @Test
    void compilerErrorsCarryTheirText() {
        try (ObjcMetalDevice own = ObjcMetalDevice.open(standIn.libraries())) {
            MetalException e =
                    assertThrows(
                            MetalException.class,
                            () ->
                                    own.compileLibrary(
                                            "[[kernel]] void k(device float* out [[buffer(0)]])"
                                                    + " { out[0] = missing_name; }\n"));
            assertTrue(e.getMessage().contains("rejected the kernels"), e.getMessage());
            assertTrue(e.getMessage().contains("missing_name"), e.getMessage());
        }
    }
}
