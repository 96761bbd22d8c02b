package dev.djlmetal.backend.metal;

import java.nio.ByteBuffer;

/**
 * A buffer in memory shared by the host and the device ({@code MTLResourceStorageModeShared}): the
 * host writes and reads it through {@link #contents()}, kernels see it as a {@code device} pointer.
 */
public interface MetalBuffer extends AutoCloseable {

    /**
     * Returns the buffer's size.
     *
     * @return the length in bytes
     */
    long length();

    /**
     * Returns a view of the whole buffer in native byte order, positioned at 0. Each call returns a
     * new view.
     *
     * @return a direct byte buffer over the shared memory
     * @throws IllegalStateException when the buffer was closed
     */
    ByteBuffer contents();

    /** Releases the buffer; further use fails. Closing twice is harmless. */
    @Override
    void close();
}
