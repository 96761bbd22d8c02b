package dev.djlmetal.zoo.testing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.djlmetal.nn.BlockPaths;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Named float tensors in Java memory (Hugging Face names), used as test fixtures. */
public final class TinyWeights {

    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    /**
     * Adds or replaces a tensor.
     *
     * @param name the tensor name, for example {@code model.norm.weight}
     * @param shape the shape
     * @param data the row-major values
     */
    public void put(String name, long[] shape, float[] data) {
        long size = 1;
        for (long d : shape) {
            size *= d;
        }
        if (size != data.length) {
            throw new IllegalArgumentException(name + ": shape does not match the data length");
        }
        values.put(name, data);
        shapes.put(name, shape.clone());
    }

    /**
     * Returns the values of a tensor.
     *
     * @param name the tensor name
     * @return the row-major values
     */
    public float[] get(String name) {
        float[] v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("No tensor " + name);
        }
        return v;
    }

    /**
     * Returns the shape of a tensor.
     *
     * @param name the tensor name
     * @return the shape
     */
    public long[] shape(String name) {
        return shapes.get(name).clone();
    }

    /**
     * Returns whether a tensor exists.
     *
     * @param name the tensor name
     * @return true when present
     */
    public boolean contains(String name) {
        return values.containsKey(name);
    }

    /**
     * Returns all tensors.
     *
     * @return an unmodifiable, ordered map from name to values
     */
    public Map<String, float[]> all() {
        return Collections.unmodifiableMap(values);
    }

    /**
     * Sets the parameters of a block tree from these tensors, matched by path.
     *
     * @param root the block tree
     * @param manager the manager of the parameter arrays
     * @throws IllegalArgumentException when a parameter has no tensor
     */
    public void applyTo(Block root, NDManager manager) {
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(root).entrySet()) {
            String name = e.getKey();
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("No tensor for parameter " + name);
            }
            e.getValue().setArray(manager.create(values.get(name), new Shape(shapes.get(name))));
        }
    }
}
