package dev.djlmetal.engine.loading;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.io.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Set;

/** The tensors of a safetensors checkpoint directory (one file or an index with shards). */
public final class SafetensorsTensors implements CheckpointTensors {

    private final SafetensorsCheckpoint checkpoint;

    private SafetensorsTensors(SafetensorsCheckpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    /**
     * Opens the safetensors files of a directory (memory-mapped).
     *
     * @param dir the checkpoint directory
     * @return the tensors; close them when done
     * @throws IOException when the files cannot be read or are invalid
     */
    public static SafetensorsTensors open(Path dir) throws IOException {
        return new SafetensorsTensors(SafetensorsCheckpoint.open(dir));
    }

    /** {@inheritDoc} */
    @Override
    public String location() {
        return checkpoint.path().toString();
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> names() {
        return checkpoint.names();
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String name) {
        return checkpoint.contains(name);
    }

    /** {@inheritDoc} */
    @Override
    public Shape shape(String name) {
        return checkpoint.info(name).shape();
    }

    /** {@inheritDoc} */
    @Override
    public String dtype(String name) {
        return checkpoint.info(name).dtype().name();
    }

    /** {@inheritDoc} */
    @Override
    public String fileOf(String name) {
        return checkpoint.fileOf(name).path().getFileName().toString();
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(NDManager manager, String name) {
        try {
            return checkpoint.toNDArray(manager, name, DataType.FLOAT32);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read tensor " + name + " of " + location(), e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        try {
            checkpoint.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
