package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import dev.djlmetal.backend.metal.MetalBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

/** An {@code MTLBuffer} in shared storage; owns one retain, released by {@link #close()}. */
final class ObjcMetalBuffer implements MetalBuffer {

    private final Pointer buffer;
    private final Pointer contents;
    private final long length;
    private final AtomicBoolean closed = new AtomicBoolean();

    ObjcMetalBuffer(Pointer buffer, long length) {
        this.buffer = buffer;
        this.length = length;
        this.contents = Objc.rt().msgSendPointer(buffer, Objc.sel("contents"));
    }

    Pointer handle() {
        if (closed.get()) {
            throw new IllegalStateException("This Metal buffer was released");
        }
        return buffer;
    }

    /** {@inheritDoc} */
    @Override
    public long length() {
        return length;
    }

    /** {@inheritDoc} */
    @Override
    public ByteBuffer contents() {
        handle();
        return contents.getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Objc.release(buffer);
        }
    }
}
