package dev.djlmetal.backend.metal.emulator;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.djlmetal.backend.metal.MetalBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A shared buffer of the emulator: native memory that the compiled kernels read and write directly.
 */
final class EmulatedBuffer implements MetalBuffer {

    private final long length;
    private final Memory memory;
    private volatile boolean closed;

    EmulatedBuffer(long length) {
        if (length < 1 || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "Emulated Metal buffers hold 1 to "
                            + Integer.MAX_VALUE
                            + " bytes, got "
                            + length);
        }
        this.length = length;
        this.memory = new Memory(length);
        memory.clear();
    }

    /** {@inheritDoc} */
    @Override
    public long length() {
        return length;
    }

    /** {@inheritDoc} */
    @Override
    public ByteBuffer contents() {
        return pointer().getByteBuffer(0, length).order(ByteOrder.nativeOrder());
    }

    Pointer pointer() {
        if (closed) {
            throw new IllegalStateException("This emulated Metal buffer was closed");
        }
        return memory;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            memory.close();
        }
    }
}
