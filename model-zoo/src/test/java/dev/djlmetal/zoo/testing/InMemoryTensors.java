package dev.djlmetal.zoo.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import dev.djlmetal.engine.loading.CheckpointTensors;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
     * Returns a copy whose float tensors are rounded to bfloat16 (round to nearest, ties to even),
     * the values a BF16 checkpoint of these tensors holds.
     *
     * @return the rounded copy
     */
    public InMemoryTensors roundedToBf16() {
        InMemoryTensors out = new InMemoryTensors();
        for (String name : data.keySet()) {
            long[] shape = shapes.get(name).getShape();
            Object v = data.get(name);
            if (v instanceof float[]) {
                float[] rounded = ((float[]) v).clone();
                for (int i = 0; i < rounded.length; i++) {
                    int bits = Float.floatToRawIntBits(rounded[i]);
                    bits += 0x7FFF + ((bits >>> 16) & 1);
                    rounded[i] = Float.intBitsToFloat(bits & 0xFFFF0000);
                }
                out.putFloat(name, shape, rounded);
            } else {
                out.putU32(name, shape, (int[]) v);
            }
        }
        return out;
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

    /**
     * Writes the tensors as a safetensors checkpoint with a config.json.
     *
     * @param dir the directory (created when absent)
     * @param config the config.json content
     * @param floatType how float tensors are stored: F32, F16 or BF16
     * @param maxShardBytes the largest shard, {@code Long.MAX_VALUE} for one file
     * @throws IOException when writing fails
     */
    public void writeTo(Path dir, JsonObject config, SafetensorsDType floatType, long maxShardBytes)
            throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toString());
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            SafetensorsWriter writer = new SafetensorsWriter();
            for (String name : data.keySet()) {
                NDArray array = load(manager, name);
                boolean packed = "U32".equals(dtypes.get(name));
                writer.add(name, array, packed ? SafetensorsDType.U32 : floatType);
            }
            writer.writeSharded(dir, maxShardBytes);
        }
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
