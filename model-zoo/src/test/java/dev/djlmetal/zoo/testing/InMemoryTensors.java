package dev.djlmetal.zoo.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.engine.loading.CheckpointTensors;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Checkpoint tensors held in Java memory (F32 floats and U32 packed words). */
public final class InMemoryTensors implements CheckpointTensors {

    private final Map<String, Object> data = new LinkedHashMap<>();
    private final Map<String, Shape> shapes = new LinkedHashMap<>();
    private final Map<String, String> dtypes = new LinkedHashMap<>();

    /**
     * Adds an F32 tensor.
     *
     * @param name the name
     * @param shape the shape
     * @param values the values
     * @return this
     */
    public InMemoryTensors putFloat(String name, long[] shape, float[] values) {
        data.put(name, values);
        shapes.put(name, new Shape(shape));
        dtypes.put(name, "F32");
        return this;
    }

    /**
     * Adds a U32 tensor.
     *
     * @param name the name
     * @param shape the shape
     * @param words the uint32 bits
     * @return this
     */
    public InMemoryTensors putU32(String name, long[] shape, int[] words) {
        data.put(name, words);
        shapes.put(name, new Shape(shape));
        dtypes.put(name, "U32");
        return this;
    }

    /**
     * Removes a tensor.
     *
     * @param name the name
     * @return this
     */
    public InMemoryTensors remove(String name) {
        data.remove(name);
        shapes.remove(name);
        dtypes.remove(name);
        return this;
    }

    /**
     * Returns the raw data of a tensor.
     *
     * @param name the name
     * @return a float[] or an int[]
     */
    public Object raw(String name) {
        return data.get(name);
    }

    /** {@inheritDoc} */
    @Override
    public String location() {
        return "in-memory checkpoint";
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(data.keySet());
    }

    /** {@inheritDoc} */
    @Override
    public Shape shape(String name) {
        return shapes.get(name);
    }

    /** {@inheritDoc} */
    @Override
    public String dtype(String name) {
        return dtypes.get(name);
    }

    /** {@inheritDoc} */
    @Override
    public String fileOf(String name) {
        return "memory.safetensors";
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(NDManager manager, String name) {
        Object v = data.get(name);
        if (v instanceof float[]) {
            return manager.create((float[]) v, shapes.get(name));
        }
        return manager.create((int[]) v, shapes.get(name));
    }

    /** {@inheritDoc} */
    @Override
    public void close() {}
}
