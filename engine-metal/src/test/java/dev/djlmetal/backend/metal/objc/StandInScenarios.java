package dev.djlmetal.backend.metal.objc;

import ai.djl.Device;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.backend.metal.AffineQmmKernels;
import dev.djlmetal.backend.metal.MetalBuffer;
import dev.djlmetal.backend.metal.MetalPipeline;
import dev.djlmetal.backend.metal.MetalSize;
import java.util.ArrayList;
import java.util.List;

/**
 * What the stand-in tests run in a child JVM ({@link ChildJvm}): scenarios that abort the process
 * as Metal would, or that need a process in which nothing was loaded or opened yet. Each prints
 * what it observed on stdout, one {@code KEY=value} line per fact.
 */
public final class StandInScenarios {

    /** The compiler message the rejecting scenarios make the stand-in's compiler return. */
    static final String REJECTION =
            "program_source:42:7: error: use of undeclared identifier 'simd_sum4'";

    /** {@code RLIMIT_CORE} on Linux. */
    private static final int RLIMIT_CORE = 4;

    private StandInScenarios() {}

    /**
     * Runs one scenario.
     *
     * @param args the scenario's name
     */
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "unended-encoder":
                unendedEncoder();
                break;
            case "device-needs-coregraphics":
                deviceNeedsCoreGraphics();
                break;
            case "fresh-device":
                freshDevice();
                break;
            case "closed-buffer":
                closedBuffer();
                break;
            case "auto":
                auto(args.length > 1 && "reject".equals(args[1]));
                break;
            default:
                throw new IllegalArgumentException("Unknown scenario " + args[0]);
        }
        System.out.println("END");
    }

    /** Ends a pool holding a command buffer whose encoder never ended, with Metal's abort. */
    private static void unendedEncoder() {
        disableCoreDumps();
        StandIn standIn = StandIn.get();
        standIn.recordFatalErrors(false);
        AppleLibraries.Loaded loaded = standIn.libraries().load();
        Objc objc = loaded.objc();
        Pointer device = loaded.metal().MTLCreateSystemDefaultDevice();
        Pointer pool = objc.rt().objc_autoreleasePoolPush();
        Pointer queue = objc.rt().msgSendPointer(device, objc.sel("newCommandQueue"));
        Pointer commandBuffer = objc.rt().msgSendPointer(queue, objc.sel("commandBuffer"));
        objc.rt().msgSendPointer(commandBuffer, objc.sel("computeCommandEncoder"));
        System.out.println("POPPING");
        System.out.flush();
        objc.rt().objc_autoreleasePoolPop(pool);
        System.out.println("SURVIVED");
    }

    /** Asks for the device before and after CoreGraphics is loaded. */
    private static void deviceNeedsCoreGraphics() {
        StandIn standIn = StandIn.get();
        MetalFramework metal = MetalFramework.load(standIn.library().toString());
        System.out.println(
                "BEFORE=" + (metal.MTLCreateSystemDefaultDevice() == null ? "nil" : "device"));
        NativeLibrary.getInstance(standIn.coreGraphics().toString());
        System.out.println(
                "AFTER=" + (metal.MTLCreateSystemDefaultDevice() == null ? "nil" : "device"));
    }

    /** Opens the device through the device layer in a process that loaded nothing before. */
    private static void freshDevice() {
        StandIn standIn = StandIn.get();
        try (ObjcMetalDevice device = ObjcMetalDevice.open(standIn.libraries())) {
            System.out.println("NAME=" + device.getName());
        }
        System.out.println("REFUSALS=" + standIn.deviceRefusals());
    }

    /**
     * Dispatches with a buffer closed in between, with the stand-in aborting on fatal errors as
     * Metal does: the process must survive with a clean exception.
     */
    private static void closedBuffer() {
        disableCoreDumps();
        StandIn standIn = StandIn.get();
        standIn.recordFatalErrors(false);
        try (ObjcMetalDevice device = ObjcMetalDevice.open(standIn.libraries())) {
            MetalPipeline pipeline =
                    device.library(AffineQmmKernels.source()).pipeline("affine_qmv_float_b4_g32");
            List<MetalBuffer> buffers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                buffers.add(device.newBuffer(256));
            }
            buffers.get(3).close();
            try {
                device.dispatch(
                        pipeline,
                        buffers,
                        AffineQmmKernels.arguments(1, 8, 32),
                        new MetalSize(1, 1, 1),
                        new MetalSize(64, 1, 1));
                System.out.println("DISPATCHED");
            } catch (IllegalStateException e) {
                System.out.println("CAUGHT=" + e.getMessage());
            }
            for (MetalBuffer buffer : buffers) {
                buffer.close();
            }
        }
    }

    /** Resolves backend=auto twice through the registered provider (paths from -D properties). */
    private static void auto(boolean reject) {
        StandIn standIn = StandIn.get();
        if (reject) {
            standIn.failCompilesWith(REJECTION);
        }
        System.out.println("FIRST=" + Backends.resolve(BackendKind.AUTO, Device.cpu()));
        System.out.println("SECOND=" + Backends.resolve(BackendKind.AUTO, Device.cpu()));
        System.out.println("COMPILES=" + standIn.compileCount());
        System.out.println("REASON=" + Backends.provider(BackendKind.METAL).unavailableReason());
    }

    /** {@code struct rlimit}. */
    @Structure.FieldOrder({"current", "maximum"})
    public static class Rlimit extends Structure {

        /** The soft limit. */
        public long current;

        /** The hard limit. */
        public long maximum;
    }

    /** The C library's {@code setrlimit}. */
    interface LibC extends Library {
        int setrlimit(int resource, Rlimit limit);
    }

    /** Keeps an abort from leaving a core file in the working directory. */
    private static void disableCoreDumps() {
        Rlimit none = new Rlimit();
        Native.load("c", LibC.class).setrlimit(RLIMIT_CORE, none);
    }
}
