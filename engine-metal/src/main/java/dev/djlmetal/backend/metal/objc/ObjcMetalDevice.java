package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.djlmetal.backend.metal.MetalBuffer;
import dev.djlmetal.backend.metal.MetalDevice;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;
import dev.djlmetal.backend.metal.MetalSize;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The Apple GPU as a {@link MetalDevice}, driven through the Objective-C runtime: the system
 * default {@code MTLDevice}, one command queue, shared-storage buffers, and one command buffer per
 * dispatch, waited for synchronously. Every call that makes autoreleased objects runs inside its
 * own autorelease pool.
 */
public final class ObjcMetalDevice implements MetalDevice {

    /** {@code MTLResourceStorageModeShared} (storage mode 0 shifted by 4). */
    static final long STORAGE_MODE_SHARED = 0;

    /** {@code MTLCommandBufferStatusCompleted}. */
    static final long STATUS_COMPLETED = 4;

    private final Pointer device;
    private final Pointer queue;
    private final String name;

    private ObjcMetalDevice(Pointer device) {
        this.device = device;
        this.queue = Objc.rt().msgSendPointer(device, Objc.sel("newCommandQueue"));
        if (queue == null) {
            Objc.release(device);
            throw new MetalException("The Metal device refused to create a command queue");
        }
        this.name =
                Objc.withPool(
                        () -> Objc.toJava(Objc.rt().msgSendPointer(device, Objc.sel("name"))));
    }

    /**
     * Opens the system default Metal device ({@code MTLCreateSystemDefaultDevice}).
     *
     * @return the device
     * @throws MetalException when the machine has no Metal device
     */
    public static ObjcMetalDevice createSystemDefault() {
        Pointer device = MetalFramework.INSTANCE.MTLCreateSystemDefaultDevice();
        if (device == null) {
            throw new MetalException("MTLCreateSystemDefaultDevice returned no device");
        }
        return new ObjcMetalDevice(device);
    }

    /** {@inheritDoc} */
    @Override
    public String getName() {
        return name == null ? "Metal device" : name;
    }

    /** {@inheritDoc} */
    @Override
    public MetalLibrary compileLibrary(String source) {
        return Objc.withPool(
                () -> {
                    PointerByReference error = new PointerByReference();
                    Pointer library =
                            Objc.rt()
                                    .msgSendPointer(
                                            device,
                                            Objc.sel("newLibraryWithSource:options:error:"),
                                            Objc.nsString(source),
                                            null,
                                            error);
                    if (library == null) {
                        throw new MetalException(
                                "The Metal shader compiler rejected the kernels: "
                                        + Objc.describeError(error.getValue(), "no error object"));
                    }
                    return new ObjcMetalLibrary(device, library);
                });
    }

    /** {@inheritDoc} */
    @Override
    public MetalBuffer newBuffer(long length) {
        if (length < 1 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "Metal buffers hold 1 to " + Integer.MAX_VALUE + " bytes here, got " + length);
        }
        Pointer buffer =
                Objc.rt()
                        .msgSendPointer(
                                device,
                                Objc.sel("newBufferWithLength:options:"),
                                length,
                                STORAGE_MODE_SHARED);
        if (buffer == null) {
            throw new MetalException("The Metal device could not allocate " + length + " bytes");
        }
        return new ObjcMetalBuffer(buffer, length);
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
        byte[] argumentBytes = new byte[arguments.remaining()];
        arguments.duplicate().get(argumentBytes);
        Objc.withPool(
                () -> {
                    encodeAndWait(
                            (ObjcMetalPipeline) pipeline,
                            buffers,
                            argumentBytes,
                            threadgroups,
                            threadsPerThreadgroup);
                    return null;
                });
    }

    private void encodeAndWait(
            ObjcMetalPipeline pipeline,
            List<MetalBuffer> buffers,
            byte[] argumentBytes,
            MetalSize threadgroups,
            MetalSize threadsPerThreadgroup) {
        ObjcRuntime rt = Objc.rt();
        Pointer commandBuffer = rt.msgSendPointer(queue, Objc.sel("commandBuffer"));
        if (commandBuffer == null) {
            throw new MetalException("The Metal command queue returned no command buffer");
        }
        Pointer encoder = rt.msgSendPointer(commandBuffer, Objc.sel("computeCommandEncoder"));
        if (encoder == null) {
            throw new MetalException("The Metal command buffer returned no compute encoder");
        }
        rt.msgSendVoid(encoder, Objc.sel("setComputePipelineState:"), pipeline.handle());
        for (int i = 0; i < buffers.size(); i++) {
            MetalBuffer buffer = buffers.get(i);
            if (!(buffer instanceof ObjcMetalBuffer)) {
                rt.msgSendVoid(encoder, Objc.sel("endEncoding"));
                throw new IllegalArgumentException(
                        "Buffer " + i + " does not belong to " + getName());
            }
            rt.msgSendVoid(
                    encoder,
                    Objc.sel("setBuffer:offset:atIndex:"),
                    ((ObjcMetalBuffer) buffer).handle(),
                    0L,
                    i);
        }
        rt.msgSendVoid(
                encoder,
                Objc.sel("setBytes:length:atIndex:"),
                argumentBytes,
                argumentBytes.length,
                buffers.size());
        rt.msgSendVoid(
                encoder,
                Objc.sel("dispatchThreadgroups:threadsPerThreadgroup:"),
                toMtl(threadgroups),
                toMtl(threadsPerThreadgroup));
        rt.msgSendVoid(encoder, Objc.sel("endEncoding"));
        rt.msgSendVoid(commandBuffer, Objc.sel("commit"));
        rt.msgSendVoid(commandBuffer, Objc.sel("waitUntilCompleted"));
        long status = rt.msgSendLong(commandBuffer, Objc.sel("status"));
        if (status != STATUS_COMPLETED) {
            Pointer error = rt.msgSendPointer(commandBuffer, Objc.sel("error"));
            throw new MetalException(
                    "Metal kernel "
                            + pipeline.getFunctionName()
                            + " failed (command buffer status "
                            + status
                            + "): "
                            + Objc.describeError(error, "no error object"));
        }
    }

    private static MtlSize.ByValue toMtl(MetalSize size) {
        return new MtlSize.ByValue(size.getWidth(), size.getHeight(), size.getDepth());
    }

    /** Releases the command queue and the device. */
    @Override
    public void close() {
        Objc.release(queue);
        Objc.release(device);
    }
}
