package dev.djlmetal.backend.metal.objc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stand-in's own checks, each provoked on purpose with raw Objective-C messages: if a check did
 * not fire, the device-layer tests that rely on it would prove nothing. Fatal errors are recorded
 * here; the child-process tests show that by default they abort the process like Metal's
 * assertions.
 */
class StandInChecksTest {

    private static StandIn standIn;
    private static Objc objc;
    private static ObjcRuntime rt;
    private static Pointer device;
    private static Pointer queue;

    @BeforeAll
    static void setUp() {
        StandIn.assumeSupported();
        standIn = StandIn.get();
        AppleLibraries.Loaded loaded = standIn.libraries().load();
        objc = loaded.objc();
        rt = objc.rt();
        device = loaded.metal().MTLCreateSystemDefaultDevice();
        assertNotNull(device, "the stand-in hands out its device once CoreGraphics is loaded");
        queue = objc.withPool(() -> rt.msgSendPointer(device, objc.sel("newCommandQueue")));
    }

    @BeforeEach
    void clear() {
        standIn.clearDiagnostics();
        standIn.recordFatalErrors(true);
    }

    @AfterEach
    void noPoolLeftOpen() {
        assertEquals(0, standIn.poolDepth());
    }

    /** Runs an action inside a pool and returns the first fatal error it caused. */
    private static String fatalOf(Runnable action) {
        objc.inPool(action);
        assertEquals(1, standIn.fatalCount(), "exactly one fatal error: " + standIn.firstFatal());
        return standIn.firstFatal();
    }

    private static void assertContains(String text, String... parts) {
        for (String part : parts) {
            assertTrue(text.contains(part), "missing '" + part + "' in: " + text);
        }
    }

    private static Pointer commandBuffer() {
        return rt.msgSendPointer(queue, objc.sel("commandBuffer"));
    }

    private static Pointer encoder(Pointer commandBuffer) {
        return rt.msgSendPointer(commandBuffer, objc.sel("computeCommandEncoder"));
    }

    @Test
    void anEncoderReleasedWithoutEndEncodingIsMetalsFatalAssertion() {
        String fatal = fatalOf(() -> encoder(commandBuffer()));
        assertContains(
                fatal,
                "MTLComputeCommandEncoder dealloc",
                "Command encoder released without" + " endEncoding");
    }

    @Test
    void anEncoderReleasedWithoutEndEncodingAbortsTheProcessByDefault() throws Exception {
        ChildJvm.Result result = ChildJvm.run(StandInScenarios.class, Map.of(), "unended-encoder");
        assertEquals(134, result.exitCode, "SIGABRT, as Metal's assertion: " + result);
        assertTrue(result.stdout.contains("POPPING"), result.toString());
        assertFalse(result.stdout.contains("SURVIVED"), result.toString());
        assertContains(result.stderr, "Command encoder released without endEncoding");
    }

    @Test
    void aClosedBufferInADispatchDoesNotAbortTheProcess() throws Exception {
        ChildJvm.Result result = ChildJvm.run(StandInScenarios.class, Map.of(), "closed-buffer");
        assertEquals(0, result.exitCode, result.toString());
        assertContains(result.stdout, "CAUGHT=This Metal buffer was released", "END");
    }

    @Test
    void theDeviceIsNilUntilCoreGraphicsIsLoaded() throws Exception {
        ChildJvm.Result result =
                ChildJvm.run(StandInScenarios.class, Map.of(), "device-needs-coregraphics");
        assertEquals(0, result.exitCode, result.toString());
        assertContains(result.stdout, "BEFORE=nil", "AFTER=device");
    }

    @Test
    void committingWithAnOpenEncoderIsFatal() {
        String fatal =
                fatalOf(
                        () -> {
                            Pointer cb = commandBuffer();
                            Pointer encoder = encoder(cb);
                            rt.msgSendVoid(cb, objc.sel("commit"));
                            rt.msgSendVoid(encoder, objc.sel("endEncoding"));
                        });
        assertContains(fatal, "has not called endEncoding before commit");
    }

    @Test
    void aSecondEncoderOnOneCommandBufferIsFatal() {
        String fatal =
                fatalOf(
                        () -> {
                            Pointer cb = commandBuffer();
                            Pointer first = encoder(cb);
                            encoder(cb);
                            rt.msgSendVoid(first, objc.sel("endEncoding"));
                        });
        assertContains(fatal, "already encoding");
    }

    @Test
    void waitingOnAnUncommittedCommandBufferIsFatal() {
        String fatal =
                fatalOf(() -> rt.msgSendVoid(commandBuffer(), objc.sel("waitUntilCompleted")));
        assertContains(fatal, "not committed");
    }

    @Test
    void usingAnEncoderAfterEndEncodingIsFatal() {
        String fatal =
                fatalOf(
                        () -> {
                            Pointer encoder = encoder(commandBuffer());
                            rt.msgSendVoid(encoder, objc.sel("endEncoding"));
                            rt.msgSendVoid(encoder, objc.sel("endEncoding"));
                        });
        assertContains(fatal, "encoding has already ended");
    }

    @Test
    void aMessageToADeallocatedObjectIsFatal() {
        String fatal =
                fatalOf(
                        () -> {
                            Pointer buffer =
                                    rt.msgSendPointer(
                                            device,
                                            objc.sel("newBufferWithLength:options:"),
                                            64L,
                                            0L);
                            objc.release(buffer);
                            rt.msgSendLong(buffer, objc.sel("length"));
                        });
        assertContains(fatal, "message sent to deallocated instance");
    }

    @Test
    void anUnrecognizedSelectorIsFatal() {
        String fatal = fatalOf(() -> rt.msgSendPointer(device, objc.sel("frobnicate")));
        assertContains(fatal, "-[MTLDevice frobnicate]: unrecognized selector");
    }

    @Test
    void aReceiverThatIsNoObjectIsFatal() {
        try (Memory notAnObject = new Memory(64)) {
            String fatal = fatalOf(() -> rt.msgSendPointer(notAnObject, objc.sel("name")));
            assertContains(fatal, "not an Objective-C object");
        }
    }

    @Test
    void anObjectArgumentOfTheWrongClassIsFatal() {
        String fatal =
                fatalOf(
                        () -> {
                            Pointer encoder = encoder(commandBuffer());
                            rt.msgSendVoid(encoder, objc.sel("setComputePipelineState:"), queue);
                            rt.msgSendVoid(encoder, objc.sel("endEncoding"));
                        });
        assertContains(fatal, "is a MTLCommandQueue, expected MTLComputePipelineState");
    }

    @Test
    void setBytesOverFourKilobytesIsFatal() {
        String fatal =
                fatalOf(
                        () -> {
                            Pointer encoder = encoder(commandBuffer());
                            rt.msgSendVoid(
                                    encoder,
                                    objc.sel("setBytes:length:atIndex:"),
                                    new byte[8192],
                                    8192L,
                                    0L);
                            rt.msgSendVoid(encoder, objc.sel("endEncoding"));
                        });
        assertContains(fatal, "length 8192 must be 1 to 4096");
    }

    @Test
    void aBufferIndexBeyondTheArgumentTableIsFatal() {
        String fatal =
                fatalOf(
                        () -> {
                            Pointer buffer =
                                    rt.msgSendPointer(
                                            device,
                                            objc.sel("newBufferWithLength:options:"),
                                            64L,
                                            0L);
                            Pointer encoder = encoder(commandBuffer());
                            rt.msgSendVoid(
                                    encoder,
                                    objc.sel("setBuffer:offset:atIndex:"),
                                    buffer,
                                    0L,
                                    31L);
                            rt.msgSendVoid(encoder, objc.sel("endEncoding"));
                            objc.release(buffer);
                        });
        assertContains(fatal, "index 31 is not below 31");
    }

    @Test
    void gridExtentsOutsideMetalsRangeAreFatal() {
        PointerByReference error = new PointerByReference();
        String fatal =
                fatalOf(
                        () -> {
                            Pointer library =
                                    rt.msgSendPointer(
                                            device,
                                            objc.sel("newLibraryWithSource:options:error:"),
                                            objc.nsString(
                                                    dev.djlmetal.backend.metal.AffineQmmKernels
                                                            .source()),
                                            null,
                                            error);
                            Pointer function =
                                    rt.msgSendPointer(
                                            library,
                                            objc.sel("newFunctionWithName:"),
                                            objc.nsString("affine_qmv_float_b4_g32"));
                            Pointer state =
                                    rt.msgSendPointer(
                                            device,
                                            objc.sel("newComputePipelineStateWithFunction:error:"),
                                            function,
                                            error);
                            Pointer encoder = encoder(commandBuffer());
                            rt.msgSendVoid(encoder, objc.sel("setComputePipelineState:"), state);
                            // What a size passed by pointer instead of by value looks like: huge.
                            rt.msgSendVoid(
                                    encoder,
                                    objc.sel("dispatchThreadgroups:threadsPerThreadgroup:"),
                                    new MtlSize.ByValue(1L << 40, 1, 1),
                                    new MtlSize.ByValue(64, 1, 1));
                            rt.msgSendVoid(encoder, objc.sel("endEncoding"));
                            objc.release(state);
                            objc.release(function);
                            objc.release(library);
                        });
        assertContains(fatal, "must be between 1 and 2^32 - 1", "by value");
    }

    @Test
    void invalidResourceOptionsAreFatal() {
        String fatal =
                fatalOf(
                        () ->
                                rt.msgSendPointer(
                                        device,
                                        objc.sel("newBufferWithLength:options:"),
                                        64L,
                                        0x7f3a00000000L));
        assertContains(fatal, "invalid MTLResourceOptions");
    }

    @Test
    void aBoolThatIsNeitherYesNorNoIsFatal() {
        String fatal =
                fatalOf(
                        () -> {
                            Pointer options = objc.newObject("MTLCompileOptions");
                            rt.msgSendVoid(options, objc.sel("setFastMathEnabled:"), (byte) 7);
                            objc.release(options);
                        });
        assertContains(fatal, "neither YES nor NO");
    }

    @Test
    void compilingWithoutOptionsGetsMetalsFastMathDefault() {
        PointerByReference error = new PointerByReference();
        objc.inPool(
                () ->
                        objc.release(
                                rt.msgSendPointer(
                                        device,
                                        objc.sel("newLibraryWithSource:options:error:"),
                                        objc.nsString("#include <metal_stdlib>\n"),
                                        null,
                                        error)));
        assertEquals(StandIn.MATH_MODE_FAST, standIn.lastMathMode());
        standIn.assertClean();
    }

    @Test
    void messagesOutsideAPoolAreReported() {
        Pointer name = rt.msgSendPointer(device, objc.sel("name"));
        assertNotNull(name);
        assertEquals(1, standIn.warningCount());
        assertContains(
                standIn.firstWarning(), "-[MTLDevice name] sent outside an autorelease pool");
    }

    @Test
    void autoreleasingWithoutAPoolIsReportedAsALeak() {
        Pointer pool = rt.objc_autoreleasePoolPush();
        Pointer string = objc.nsString("kept");
        objc.retain(string);
        rt.objc_autoreleasePoolPop(pool);
        standIn.clearDiagnostics();
        // autorelease is itself a message: the stand-in reports the missing pool for it first.
        rt.msgSendPointer(string, objc.sel("autorelease"));
        assertEquals(2, standIn.warningCount(), standIn.firstWarning());
        assertEquals(0, standIn.fatalCount());
    }

    @Test
    void poppingAPoolThatIsNotOpenIsFatal() {
        rt.objc_autoreleasePoolPop(new Pointer(0x4242));
        assertEquals(1, standIn.fatalCount());
        assertContains(standIn.firstFatal(), "Invalid or prematurely-freed autorelease pool");
    }

    @Test
    void poolsPoppedOutOfOrderAreReported() {
        Pointer outer = rt.objc_autoreleasePoolPush();
        rt.objc_autoreleasePoolPush();
        rt.objc_autoreleasePoolPop(outer);
        assertEquals(1, standIn.warningCount());
        assertContains(standIn.firstWarning(), "popped while 1 pool(s) pushed after it");
        assertEquals(0, standIn.poolDepth(), "popping the outer pool pops the inner one");
    }

    @Test
    void objectsAreReleasedWhenTheirPoolIsPopped() {
        long strings = standIn.liveObjects("NSString");
        objc.inPool(
                () -> {
                    objc.nsString("one");
                    objc.nsString("two");
                    assertEquals(strings + 2, standIn.liveObjects("NSString"));
                });
        assertEquals(strings, standIn.liveObjects("NSString"));
        standIn.assertClean();
    }

    @Test
    void messagingNilReturnsNil() {
        assertNull(rt.msgSendPointer(null, objc.sel("name")));
        assertEquals(0, standIn.fatalCount());
    }
}
