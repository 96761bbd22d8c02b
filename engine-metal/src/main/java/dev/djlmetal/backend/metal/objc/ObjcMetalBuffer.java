package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import dev.djlmetal.backend.metal.MetalBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * An {@code MTLBuffer} in shared storage; owns one retain, released by {@link #close()}. A dispatch
 * takes its own reference for as long as it runs ({@link #acquire()}), so closing a buffer while a
 * product uses it never frees memory the GPU still reads.
 */
final class ObjcMetalBuffer implements MetalBuffer {

    private final Objc objc;
    private final Pointer buffer;
    private final Pointer contents;
    private final long length;
    private boolean closed;

    ObjcMetalBuffer(Objc objc, Pointer buffer, Pointer contents, long length) {
        this.objc = objc;
        this.buffer = buffer;
        this.contents = contents;
        this.length = length;
    }

    /**
     * Retains the buffer for a dispatch and returns its handle; call inside an autorelease pool and
     * balance with {@link #releaseAfterDispatch()}.
     *
     * @return the {@code MTLBuffer}
     * @throws IllegalStateException when the buffer was closed
     */
    synchronized Pointer acquire() {
        if (closed) {
            throw new IllegalStateException("This Metal buffer was released");
        }
        objc.retain(buffer);
        return buffer;
    }

    /** Drops the reference {@link #acquire()} took; call inside an autorelease pool. */
    void releaseAfterDispatch() {
        objc.release(buffer);
    }

    /** {@inheritDoc} */
    @Override
    public long length() {
        return length;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized ByteBuffer contents() {
        if (closed) {
            throw new IllegalStateException("This Metal buffer was released");
        }
        return contents.getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        objc.inPool(() -> objc.release(buffer));
    }
}
