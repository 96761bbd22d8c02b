package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.djlmetal.backend.metal.LibraryCache;
import dev.djlmetal.backend.metal.MetalBuffer;
import dev.djlmetal.backend.metal.MetalDevice;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;
import dev.djlmetal.backend.metal.MetalSize;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The Apple GPU as a {@link MetalDevice}, driven through the Objective-C runtime: the system
 * default {@code MTLDevice}, one command queue, shared-storage buffers, and one command buffer per
 * dispatch, waited for synchronously.
 *
 * <p>Rules this class keeps, each because breaking it crashes or leaks on a Mac:
 *
 * <ul>
 *   <li>every Objective-C message is sent inside an autorelease pool (command buffers, encoders,
 *       strings and errors are autoreleased; without a pool they pile up in the thread's implicit
 *       pool, which a JVM thread never drains);
 *   <li>every handle a dispatch needs (pipeline, buffers) is resolved and retained before the
 *       compute encoder exists, and the encoder is always ended ({@code try/finally}): Metal aborts
 *       the process when an encoder is released without {@code endEncoding};
 *   <li>libraries are compiled with an explicit math mode: safe (no fast math), as MLX does, so NaN
 *       and infinities propagate as on the CPU backends;
 *   <li>libraries and their pipelines are cached per device ({@link #library(String)}) and released
 *       with it.
 * </ul>
 */
public final class ObjcMetalDevice implements MetalDevice {

    /** {@code MTLResourceStorageModeShared} (storage mode 0 shifted by 4). */
    static final long STORAGE_MODE_SHARED = 0;

    /** {@code MTLCommandBufferStatusCompleted}. */
    static final long STATUS_COMPLETED = 4;

    /** {@code MTLMathModeSafe} (macOS 15 and later). */
    static final long MATH_MODE_SAFE = 0;

    /** Entries of a compute encoder's buffer argument table. */
    static final int BUFFER_TABLE_ENTRIES = 31;

    /** The most bytes {@code setBytes:length:atIndex:} accepts (Apple: "less than 4 KB"). */
    static final int MAX_SET_BYTES = 4096;

    private final Objc objc;
    private final Pointer device;
    private final Pointer queue;
    private final String name;
    private final LibraryCache libraries = new LibraryCache();
    private boolean closed;

    private ObjcMetalDevice(Objc objc, Pointer device, Pointer queue, String name) {
        this.objc = objc;
        this.device = device;
        this.queue = queue;
        this.name = name;
    }

    /**
     * Opens the system default Metal device ({@code MTLCreateSystemDefaultDevice}) of the libraries
     * named by the system properties (macOS's own by default).
     *
     * @return the device
     * @throws MetalException when the machine has no Metal device
     * @throws UnsatisfiedLinkError when the libraries cannot be loaded
     */
    public static ObjcMetalDevice createSystemDefault() {
        return open(AppleLibraries.fromSystemProperties());
    }

    /**
     * Opens the default device of the given libraries (loading CoreGraphics before Metal is asked
     * for a device).
     *
     * @param libraries the libraries
     * @return the device
     */
    static ObjcMetalDevice open(AppleLibraries libraries) {
        AppleLibraries.Loaded loaded = libraries.load();
        Objc objc = loaded.objc();
        return objc.withPool(
                () -> {
                    Pointer device = loaded.metal().MTLCreateSystemDefaultDevice();
                    if (device == null) {
                        throw new MetalException(
                                "MTLCreateSystemDefaultDevice returned no device ("
                                        + libraries.describe()
                                        + ")");
                    }
                    Pointer queue = objc.rt().msgSendPointer(device, objc.sel("newCommandQueue"));
                    if (queue == null) {
                        objc.release(device);
                        throw new MetalException(
                                "The Metal device refused to create a command queue");
                    }
                    String name = objc.toJava(objc.rt().msgSendPointer(device, objc.sel("name")));
                    return new ObjcMetalDevice(objc, device, queue, name);
                });
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name == null ? "Metal device" : name;
    }

    /** {@inheritDoc} */
    @Override
    public MetalLibrary compileLibrary(String source) {
        checkOpen();
        return objc.withPool(
                () -> {
                    ObjcRuntime rt = objc.rt();
                    Pointer options = objc.newObject("MTLCompileOptions");
                    try {
                        chooseSafeMath(options);
                        PointerByReference error = new PointerByReference();
                        Pointer library =
                                rt.msgSendPointer(
                                        device,
                                        objc.sel("newLibraryWithSource:options:error:"),
                                        objc.nsString(source),
                                        options,
                                        error);
                        if (library == null) {
                            throw new MetalException(
                                    "The Metal shader compiler rejected the kernels: "
                                            + objc.describeError(
                                                    error.getValue(), "no error object"));
                        }
                        return new ObjcMetalLibrary(objc, device, library);
                    } finally {
                        objc.release(options);
                    }
                });
    }

    /**
     * Turns fast math off: {@code mathMode = MTLMathModeSafe} where the OS has it (macOS 15 and
     * later), {@code fastMathEnabled = NO} before. Both are Metal's IEEE-conforming mode, the
     * emulator's semantics, and what MLX compiles its kernels with.
     */
    private void chooseSafeMath(Pointer options) {
        if (objc.respondsTo(options, "setMathMode:")) {
            objc.rt().msgSendVoid(options, objc.sel("setMathMode:"), MATH_MODE_SAFE);
        } else {
            objc.rt().msgSendVoid(options, objc.sel("setFastMathEnabled:"), (byte) 0);
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
        if (length < 1 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "Metal buffers hold 1 to " + Integer.MAX_VALUE + " bytes here, got " + length);
        }
        checkOpen();
        return objc.withPool(
                () -> {
                    Pointer buffer =
                            objc.rt()
                                    .msgSendPointer(
                                            device,
                                            objc.sel("newBufferWithLength:options:"),
                                            length,
                                            STORAGE_MODE_SHARED);
                    if (buffer == null) {
                        throw new MetalException(
                                "The Metal device could not allocate " + length + " bytes");
                    }
                    Pointer contents = objc.rt().msgSendPointer(buffer, objc.sel("contents"));
                    if (contents == null) {
                        objc.release(buffer);
                        throw new MetalException("A shared Metal buffer has no CPU address");
                    }
                    return new ObjcMetalBuffer(objc, buffer, contents, length);
                });
    }

    /** {@inheritDoc} */
    @Override
    public void dispatch(
            MetalPipeline pipeline,
            List<MetalBuffer> buffers,
            ByteBuffer arguments,
            MetalSize threadgroups,
            MetalSize threadsPerThreadgroup) {
        MetalDevice.checkDispatch(this, pipeline, ObjcMetalPipeline.class, threadsPerThreadgroup);
        if (buffers.size() + 1 > BUFFER_TABLE_ENTRIES) {
            throw new IllegalArgumentException(
                    "A dispatch binds at most "
                            + (BUFFER_TABLE_ENTRIES - 1)
                            + " buffers and the argument bytes, got "
                            + buffers.size()
                            + " buffers");
        }
        if (arguments.remaining() < 1 || arguments.remaining() > MAX_SET_BYTES) {
            throw new IllegalArgumentException(
                    "The argument bytes of a dispatch must be 1 to "
                            + MAX_SET_BYTES
                            + " bytes, got "
                            + arguments.remaining());
        }
        List<ObjcMetalBuffer> objcBuffers = new ArrayList<>(buffers.size());
        for (int i = 0; i < buffers.size(); i++) {
            MetalBuffer buffer = buffers.get(i);
            if (!(buffer instanceof ObjcMetalBuffer)) {
                throw new IllegalArgumentException(
                        "Buffer " + i + " does not belong to " + getName());
            }
            objcBuffers.add((ObjcMetalBuffer) buffer);
        }
        byte[] argumentBytes = new byte[arguments.remaining()];
        arguments.duplicate().get(argumentBytes);
        checkOpen();
        objc.inPool(
                () ->
                        encodeAndWait(
                                (ObjcMetalPipeline) pipeline,
                                objcBuffers,
                                argumentBytes,
                                threadgroups,
                                threadsPerThreadgroup));
    }

    /**
     * Resolves and retains every handle, then encodes one dispatch, ends the encoder whatever
     * happens, commits and waits. Runs inside the caller's autorelease pool.
     */
    private void encodeAndWait(
            ObjcMetalPipeline pipeline,
            List<ObjcMetalBuffer> buffers,
            byte[] argumentBytes,
            MetalSize threadgroups,
            MetalSize threadsPerThreadgroup) {
        ObjcRuntime rt = objc.rt();
        MtlSize.ByValue grid = toMtl(threadgroups);
        MtlSize.ByValue group = toMtl(threadsPerThreadgroup);
        Pointer state = pipeline.acquire(objc);
        List<ObjcMetalBuffer> acquired = new ArrayList<>(buffers.size());
        try {
            Pointer[] handles = new Pointer[buffers.size()];
            for (int i = 0; i < handles.length; i++) {
                handles[i] = buffers.get(i).acquire();
                acquired.add(buffers.get(i));
            }
            Pointer commandBuffer = rt.msgSendPointer(queue, objc.sel("commandBuffer"));
            if (commandBuffer == null) {
                throw new MetalException("The Metal command queue returned no command buffer");
            }
            Pointer encoder = rt.msgSendPointer(commandBuffer, objc.sel("computeCommandEncoder"));
            if (encoder == null) {
                throw new MetalException("The Metal command buffer returned no compute encoder");
            }
            try {
                rt.msgSendVoid(encoder, objc.sel("setComputePipelineState:"), state);
                for (int i = 0; i < handles.length; i++) {
                    rt.msgSendVoid(
                            encoder, objc.sel("setBuffer:offset:atIndex:"), handles[i], 0L, i);
                }
                rt.msgSendVoid(
                        encoder,
                        objc.sel("setBytes:length:atIndex:"),
                        argumentBytes,
                        argumentBytes.length,
                        handles.length);
                rt.msgSendVoid(
                        encoder,
                        objc.sel("dispatchThreadgroups:threadsPerThreadgroup:"),
                        grid,
                        group);
            } finally {
                rt.msgSendVoid(encoder, objc.sel("endEncoding"));
            }
            rt.msgSendVoid(commandBuffer, objc.sel("commit"));
            rt.msgSendVoid(commandBuffer, objc.sel("waitUntilCompleted"));
            long status = rt.msgSendLong(commandBuffer, objc.sel("status"));
            if (status != STATUS_COMPLETED) {
                Pointer error = rt.msgSendPointer(commandBuffer, objc.sel("error"));
                throw new MetalException(
                        "Metal kernel "
                                + pipeline.getFunctionName()
                                + " failed (command buffer status "
                                + status
                                + "): "
                                + objc.describeError(error, "no error object"));
            }
        } finally {
            for (ObjcMetalBuffer buffer : acquired) {
                buffer.releaseAfterDispatch();
            }
            pipeline.releaseAfterDispatch(objc);
        }
    }

    private static MtlSize.ByValue toMtl(MetalSize size) {
        return new MtlSize.ByValue(size.getWidth(), size.getHeight(), size.getDepth());
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException("The Metal device " + getName() + " was closed");
        }
    }

    /**
     * Releases the cached libraries and their pipelines, then the command queue and the device.
     * Closing twice is harmless.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            libraries.close();
        } finally {
            objc.inPool(
                    () -> {
                        objc.release(queue);
                        objc.release(device);
                    });
        }
    }
}
