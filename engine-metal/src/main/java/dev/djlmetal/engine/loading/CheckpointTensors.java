package dev.djlmetal.engine.loading;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Set;

/**
 * The named tensors of a checkpoint (one or several safetensors files), as the loader sees them.
 */
public interface CheckpointTensors extends AutoCloseable {

    /**
     * Returns where the tensors come from, for error messages.
     *
     * @return for example the checkpoint directory
     */
    String location();

    /**
     * Returns the names of all tensors.
     *
     * @return the tensor names
     */
    Set<String> names();

    /**
     * Returns whether a tensor exists.
     *
     * @param name the tensor name
     * @return true when present
     */
    default boolean contains(String name) {
        return names().contains(name);
    }

    /**
     * Returns the shape of a tensor.
     *
     * @param name the tensor name
     * @return the shape
     */
    Shape shape(String name);

    /**
     * Returns the safetensors data type of a tensor.
     *
     * @param name the tensor name
     * @return {@code F32}, {@code F16}, {@code BF16}, {@code U32}, ...
     */
    String dtype(String name);

    /**
     * Returns the file that holds a tensor, for error messages.
     *
     * @param name the tensor name
     * @return the file name
     */
    String fileOf(String name);

    /**
     * Reads a tensor: float data types become FLOAT32, {@code U32} becomes INT32 holding the same
     * bits.
     *
     * @param manager the manager of the new array
     * @param name the tensor name
     * @return the array
     */
    NDArray load(NDManager manager, String name);

    /** Releases the files. */
    @Override
    void close();
}
