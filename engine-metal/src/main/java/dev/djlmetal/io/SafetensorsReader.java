package dev.djlmetal.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;

/**
 * Read access to named safetensors tensors, from one file ({@link SafetensorsFile}) or from all
 * shards of a checkpoint ({@link SafetensorsCheckpoint}).
 *
 * <p>Methods taking a tensor name throw {@link IllegalArgumentException} when no tensor has that
 * name, and {@link IllegalStateException} after {@link #close()}.
 */
public interface SafetensorsReader extends AutoCloseable {

    /**
     * Returns the tensor names, sorted.
     *
     * @return an unmodifiable sorted set
     */
    Set<String> names();

    /**
     * Returns whether a tensor exists.
     *
     * @param name the tensor name
     * @return true when present
     */
    boolean contains(String name);

    /**
     * Returns the header entry of a tensor.
     *
     * @param name the tensor name
     * @return its dtype, shape and offsets
     */
    TensorInfo info(String name);

    /**
     * Returns the {@code __metadata__} string map.
     *
     * @return an unmodifiable map, empty when the header has none
     */
    Map<String, String> metadata();

    /**
     * Returns a read-only, little-endian, zero-copy view of a tensor's bytes in the file.
     *
     * <p>The view is memory-mapped: it stays valid after {@link #close()}, and its memory is
     * released when the buffer is garbage collected.
     *
     * @param name the tensor name
     * @return a buffer positioned at 0 whose remaining bytes are the tensor's data
     * @throws SafetensorsException when the tensor is larger than 2 GB (one buffer cannot hold it)
     *     or the file has shrunk since it was opened
     * @throws IOException when mapping fails
     */
    ByteBuffer buffer(String name) throws IOException;

    /**
     * Loads a tensor as an NDArray of its default data type ({@link SafetensorsDType#dataType()}):
     * BF16 becomes FLOAT32 and U32 becomes INT32 with the same bits.
     *
     * @param manager the manager that will own the array
     * @param name the tensor name
     * @return a new array named after the tensor
     * @throws IOException when reading fails or the tensor is too large for one NDArray buffer
     */
    NDArray toNDArray(NDManager manager, String name) throws IOException;

    /**
     * Loads a tensor as an NDArray, converting floating-point tensors (F32, F16, BF16) to the given
     * float type; other tensors load with their default data type.
     *
     * @param manager the manager that will own the array
     * @param name the tensor name
     * @param floatType {@link DataType#FLOAT32} or {@link DataType#FLOAT16}
     * @return a new array named after the tensor
     * @throws IllegalArgumentException when floatType is neither FLOAT32 nor FLOAT16
     * @throws IOException when reading fails or the tensor is too large for one NDArray buffer
     */
    NDArray toNDArray(NDManager manager, String name, DataType floatType) throws IOException;

    /**
     * Reads an F32, F16 or BF16 tensor into a float array (flattened, row-major).
     *
     * @param name the tensor name
     * @return the values
     * @throws SafetensorsException when the tensor has another dtype or too many elements
     * @throws IOException when reading fails
     */
    float[] toFloatArray(String name) throws IOException;

    /**
     * Reads an I32 or U32 tensor into an int array (flattened, row-major); U32 keeps its bits.
     *
     * @param name the tensor name
     * @return the values
     * @throws SafetensorsException when the tensor has another dtype or too many elements
     * @throws IOException when reading fails
     */
    int[] toIntArray(String name) throws IOException;

    /**
     * Reads an I64 tensor into a long array (flattened, row-major).
     *
     * @param name the tensor name
     * @return the values
     * @throws SafetensorsException when the tensor has another dtype or too many elements
     * @throws IOException when reading fails
     */
    long[] toLongArray(String name) throws IOException;

    /**
     * Closes the underlying files. Buffers returned by {@link #buffer} stay valid.
     *
     * @throws IOException when closing a file fails
     */
    @Override
    void close() throws IOException;
}
