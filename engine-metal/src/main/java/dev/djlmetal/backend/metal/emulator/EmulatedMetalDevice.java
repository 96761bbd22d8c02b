package dev.djlmetal.backend.metal.emulator;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.djlmetal.backend.metal.MetalBuffer;
import dev.djlmetal.backend.metal.MetalDevice;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;
import dev.djlmetal.backend.metal.MetalSize;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link MetalDevice} that runs MSL kernels on the CPU: libraries are compiled as C++20 with the
 * host compiler through the shim header {@code metal_stdlib}; a dispatch runs the threadgroups one
 * after another, each with one thread per lane. Dispatches are serialized (threadgroup memory is a
 * single static area per kernel).
 */
public final class EmulatedMetalDevice implements MetalDevice {

    private static final ReentrantLock DISPATCH_LOCK = new ReentrantLock();

    private final CxxCompiler compiler;

    /**
     * Creates an emulated device that compiles with the given compiler.
     *
     * @param compiler the C++ compiler
     */
    public EmulatedMetalDevice(CxxCompiler compiler) {
        this.compiler = compiler;
    }

    /**
     * Creates an emulated device with the compiler found by {@link CxxCompiler#find()}.
     *
     * @return the device
     * @throws IllegalStateException when no C++ compiler is found
     */
    public static EmulatedMetalDevice create() {
        return new EmulatedMetalDevice(
                CxxCompiler.find()
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "The Metal emulator needs a C++20 compiler: "
                                                        + CxxCompiler.searchDescription())));
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return "CPU emulator (" + compiler.getName() + ")";
    }

    /** {@inheritDoc} */
    @Override
    public MetalLibrary compileLibrary(String source) {
        try {
            return new EmulatedLibrary(EmulatorBuild.load(compiler, source));
        } catch (IllegalStateException | UncheckedIOException | UnsatisfiedLinkError e) {
            throw new MetalException("Cannot build the Metal emulator: " + e.getMessage(), e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public MetalBuffer newBuffer(long length) {
        return new EmulatedBuffer(length);
    }

    /** {@inheritDoc} */
    @Override
    public void dispatch(
            MetalPipeline pipeline,
            List<MetalBuffer> buffers,
            ByteBuffer arguments,
            MetalSize threadgroups,
            MetalSize threadsPerThreadgroup) {
        MetalDevice.checkDispatch(this, pipeline, EmulatedPipeline.class, threadsPerThreadgroup);
        int argumentBytes = arguments.remaining();
        try (Memory table = new Memory((long) Native.POINTER_SIZE * (buffers.size() + 1));
                Memory argumentMemory = new Memory(Math.max(1, argumentBytes))) {
            for (int i = 0; i < buffers.size(); i++) {
                MetalBuffer buffer = buffers.get(i);
                if (!(buffer instanceof EmulatedBuffer)) {
                    throw new IllegalArgumentException(
                            "Buffer " + i + " does not belong to " + getName());
                }
                table.setPointer(
                        (long) i * Native.POINTER_SIZE, ((EmulatedBuffer) buffer).pointer());
            }
            byte[] bytes = new byte[argumentBytes];
            arguments.duplicate().get(bytes);
            argumentMemory.write(0, bytes, 0, argumentBytes);
            table.setPointer((long) buffers.size() * Native.POINTER_SIZE, argumentMemory);
            int[] dims = {
                threadgroups.getWidth(),
                threadgroups.getHeight(),
                threadgroups.getDepth(),
                threadsPerThreadgroup.getWidth(),
                threadsPerThreadgroup.getHeight(),
                threadsPerThreadgroup.getDepth()
            };
            int status;
            DISPATCH_LOCK.lock();
            try {
                status =
                        ((EmulatedPipeline) pipeline)
                                .function()
                                .invokeInt(new Object[] {(Pointer) table, dims});
            } finally {
                DISPATCH_LOCK.unlock();
            }
            if (status != 0) {
                throw new MetalException(
                        "Emulated dispatch of "
                                + pipeline.getFunctionName()
                                + " failed with status "
                                + status
                                + (status == 2 ? " (cannot start the lane threads)" : " (bad grid)")
                                + ", grid "
                                + threadgroups
                                + ", threadgroup "
                                + threadsPerThreadgroup);
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close() {}
}
