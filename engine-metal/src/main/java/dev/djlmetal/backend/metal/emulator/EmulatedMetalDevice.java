package dev.djlmetal.backend.metal.emulator;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.djlmetal.backend.metal.LibraryCache;
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
 * A {@link MetalDevice} that runs MSL kernels on the CPU: libraries are translated ({@link
 * MslTranslator}) and compiled as C++20 with the host compiler through the shim header {@code
 * metal_stdlib}; a dispatch runs the threadgroups one after another, each with one thread per lane,
 * with arguments bound by their {@code [[buffer(i)]]} attributes, every device-memory access
 * bounds-checked and threadgroup memory poisoned. Dispatches are serialized.
 */
public final class EmulatedMetalDevice implements MetalDevice {

    private static final ReentrantLock DISPATCH_LOCK = new ReentrantLock();

    /** Bytes of one argument-table entry ({@code djlm::Binding}: data pointer, 64-bit length). */
    private static final int BINDING_BYTES = 16;

    private static final int MESSAGE_BYTES = 2048;

    private final CxxCompiler compiler;
    private final LibraryCache libraries = new LibraryCache();

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
    public MetalLibrary library(String source) {
        return libraries.get(source, this::compileLibrary);
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
        Function function = ((EmulatedPipeline) pipeline).function();
        int argumentBytes = arguments.remaining();
        int entries = buffers.size() + 1;
        try (Memory table = new Memory((long) BINDING_BYTES * entries);
                Memory argumentMemory = new Memory(Math.max(1, argumentBytes));
                Memory message = new Memory(MESSAGE_BYTES)) {
            for (int i = 0; i < buffers.size(); i++) {
                MetalBuffer buffer = buffers.get(i);
                if (!(buffer instanceof EmulatedBuffer)) {
                    throw new IllegalArgumentException(
                            "Buffer " + i + " does not belong to " + getName());
                }
                table.setPointer((long) i * BINDING_BYTES, ((EmulatedBuffer) buffer).pointer());
                table.setLong((long) i * BINDING_BYTES + Native.POINTER_SIZE, buffer.length());
            }
            byte[] bytes = new byte[argumentBytes];
            arguments.duplicate().get(bytes);
            argumentMemory.write(0, bytes, 0, argumentBytes);
            table.setPointer((long) buffers.size() * BINDING_BYTES, argumentMemory);
            table.setLong(
                    (long) buffers.size() * BINDING_BYTES + Native.POINTER_SIZE, argumentBytes);
            message.setByte(0, (byte) 0);
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
                        function.invokeInt(
                                new Object[] {
                                    (Pointer) table, entries, dims, message, MESSAGE_BYTES
                                });
            } finally {
                DISPATCH_LOCK.unlock();
            }
            if (status != 0) {
                throw new MetalException(
                        "Emulated dispatch of "
                                + pipeline.getFunctionName()
                                + " (grid "
                                + threadgroups
                                + ", threadgroup "
                                + threadsPerThreadgroup
                                + ") failed: "
                                + message.getString(0, "UTF-8"));
            }
        }
    }

    /** Releases the device's cached libraries. */
    @Override
    public void close() {
        libraries.close();
    }
}
