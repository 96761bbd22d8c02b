package dev.djlmetal.backend;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * Creates the arrays that backends return from products computed outside the engine, in memory the
 * engine allocated and owns.
 *
 * <p>An array made with {@code NDManager.create(directBuffer, ...)} is not safe to return: on the
 * CPU the PyTorch engine wraps the buffer without copying it, and only that one {@code NDArray}
 * object keeps the buffer reachable. A view of it ({@code reshape}, {@code transpose}, {@code
 * split}) shares the memory but not the reference, so once the array is closed (as a decoder layer
 * closes its temporaries while its key/value cache keeps a transposed view of a projection) the
 * garbage collector frees the memory under the view, which then reads whatever is allocated there
 * next. Memory from the engine's own allocator is reference-counted by every view instead.
 */
public final class EngineOwnedArrays {

    /**
     * The engine whose {@code NDArray.toByteBuffer(true)} returns a direct buffer over the array's
     * own memory for contiguous CPU arrays.
     */
    private static final String WRITABLE_ENGINE = "PyTorch";

    private EngineOwnedArrays() {}

    /**
     * Creates an array on a manager and fills it. On PyTorch CPU arrays the writer fills the
     * array's own memory; elsewhere it fills a staging buffer, and the array returned is a copy
     * made by the engine.
     *
     * @param manager the manager (and device) of the new array
     * @param shape the shape of the new array
     * @param dataType the data type of the new array
     * @param writer fills a native-order buffer of {@code shape.size() * dataType.getNumOfBytes()}
     *     bytes, starting at position 0 (absolute or relative writes)
     * @return the filled array, attached to {@code manager}; its memory belongs to the engine
     */
    public static NDArray create(
            NDManager manager, Shape shape, DataType dataType, Consumer<ByteBuffer> writer) {
        int bytes = Math.toIntExact(Math.multiplyExact(shape.size(), dataType.getNumOfBytes()));
        if (WRITABLE_ENGINE.equals(manager.getEngine().getEngineName())) {
            NDArray out = manager.create(shape, dataType);
            // toByteBuffer(true) of an array elsewhere than the CPU is a copy: writing it is lost
            if (Device.Type.CPU.equals(out.getDevice().getDeviceType())) {
                ByteBuffer memory = out.toByteBuffer(true);
                if (memory.isDirect() && !memory.isReadOnly() && memory.capacity() == bytes) {
                    writer.accept(memory.order(ByteOrder.nativeOrder()));
                    return out;
                }
            }
            out.close();
        }
        ByteBuffer staging = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        writer.accept(staging);
        staging.clear();
        // the array may wrap the staging buffer (PyTorch does on the CPU): its copy owns its memory
        try (NDArray borrowed = manager.create(staging, shape, dataType)) {
            return borrowed.duplicate();
        }
    }
}
