package dev.djlmetal.io;

import ai.djl.ndarray.NDArray;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes tensors to a safetensors file, or to a sharded checkpoint with an index.
 *
 * <p>Add tensors with {@link #add(String, NDArray)} (optionally converting: INT32 arrays as U32,
 * FLOAT32/FLOAT16 arrays as BF16, F16 or F32) or {@link #addRaw}, then call {@link #write(Path)} or
 * {@link #writeSharded(Path, long)}. Tensor data is read only while writing and streamed to the
 * file one tensor at a time, so arrays and buffers must stay open until then; the writer never
 * closes them. A writer can write several times.
 *
 * <p>Layout: the header JSON is padded with spaces to a multiple of 8 bytes, as in the reference
 * implementation; tensors are stored by element size (largest first), then by name, so every tensor
 * starts at a multiple of its element size within the 8-byte-aligned data region.
 */
public final class SafetensorsWriter {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final Gson PRETTY =
            new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create();
    private static final int SCRATCH_BYTES = 1 << 20;

    private final Map<String, TensorSource> tensors = new TreeMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Creates an empty writer. */
    public SafetensorsWriter() {}

    /**
     * Adds an NDArray in the dtype matching its data type (FLOAT32 as F32, FLOAT16 as F16, INT32 as
     * I32, INT64 as I64, UINT8 as U8, INT8 as I8, BOOLEAN as BOOL).
     *
     * @param name the tensor name
     * @param array the data; it must stay open until the last write
     * @return this writer
     * @throws IllegalArgumentException when the name is empty, reserved or already added, or the
     *     data type has no safetensors dtype
     */
    public SafetensorsWriter add(String name, NDArray array) {
        SafetensorsDType dtype;
        try {
            dtype = SafetensorsDType.of(array.getDataType());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
        return add(name, array, dtype);
    }

    /**
     * Adds an NDArray stored as the given dtype: its own dtype, an INT32 array as {@link
     * SafetensorsDType#U32} (same bits, as MLX stores packed weights), or a FLOAT32/FLOAT16 array
     * as {@link SafetensorsDType#F32}, {@link SafetensorsDType#F16} or {@link
     * SafetensorsDType#BF16} (rounded to nearest, ties to even).
     *
     * @param name the tensor name
     * @param array the data; it must stay open until the last write
     * @param dtype the dtype to store
     * @return this writer
     * @throws IllegalArgumentException when the name is empty, reserved or already added, or the
     *     conversion is not one of the above
     */
    public SafetensorsWriter add(String name, NDArray array, SafetensorsDType dtype) {
        checkName(name);
        tensors.put(name, new TensorSource.FromArray(name, array, dtype));
        return this;
    }

    /**
     * Adds a tensor from bytes already in file layout (little-endian, row-major).
     *
     * @param name the tensor name
     * @param dtype the dtype
     * @param shape the shape; an empty array is a scalar
     * @param data the bytes from its position to its limit; read when writing, never modified
     * @return this writer
     * @throws IllegalArgumentException when the name is empty, reserved or already added, or the
     *     byte count does not match shape and dtype
     */
    public SafetensorsWriter addRaw(
            String name, SafetensorsDType dtype, long[] shape, ByteBuffer data) {
        checkName(name);
        tensors.put(name, new TensorSource.Raw(name, dtype, shape, data));
        return this;
    }

    /**
     * Adds a {@code __metadata__} entry (written into every file, shards included).
     *
     * @param key the key
     * @param value the value
     * @return this writer
     */
    public SafetensorsWriter optMetadata(String key, String value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("metadata key and value must not be null");
        }
        metadata.put(key, value);
        return this;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("tensor name must not be empty");
        }
        if (SafetensorsHeader.METADATA_KEY.equals(name)) {
            throw new IllegalArgumentException(
                    "tensor name '" + name + "' is reserved for the metadata entry");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already added");
        }
    }

    /**
     * Writes all tensors to one file, replacing it if it exists.
     *
     * @param file the destination
     * @throws IOException when writing fails
     */
    public void write(Path file) throws IOException {
        writeFile(file, new ArrayList<>(tensors.values()));
    }

    /**
     * Writes a checkpoint directory: tensors go, in name order, into shards of at most {@code
     * maxShardBytes} tensor bytes each (a larger tensor gets a shard of its own), named {@code
     * model-00001-of-0000N.safetensors}, plus a {@code model.safetensors.index.json} mapping tensor
     * names to shards. When everything fits one shard, writes {@code model.safetensors} and deletes
     * a stale {@code model.safetensors.index.json}, which readers would otherwise prefer.
     *
     * @param dir the directory, created when absent
     * @param maxShardBytes the largest number of tensor bytes per shard
     * @return the files written, the index last
     * @throws IllegalArgumentException when maxShardBytes is not positive
     * @throws IOException when writing fails
     */
    public List<Path> writeSharded(Path dir, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException(
                    "maxShardBytes must be positive, got " + maxShardBytes);
        }
        List<List<TensorSource>> shards = new ArrayList<>();
        List<TensorSource> current = new ArrayList<>();
        long currentBytes = 0;
        long totalBytes = 0;
        for (TensorSource tensor : tensors.values()) {
            if (!current.isEmpty() && currentBytes + tensor.byteSize() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(tensor);
            currentBytes += tensor.byteSize();
            totalBytes += tensor.byteSize();
        }
        shards.add(current);
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        if (shards.size() == 1) {
            Path file = dir.resolve(SafetensorsCheckpoint.SINGLE_FILE);
            writeFile(file, shards.get(0));
            Files.deleteIfExists(dir.resolve(SafetensorsCheckpoint.INDEX_FILE));
            written.add(file);
            return written;
        }
        JsonObject weightMap = new JsonObject();
        for (int i = 0; i < shards.size(); i++) {
            String shardName =
                    String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            Path file = dir.resolve(shardName);
            writeFile(file, shards.get(i));
            written.add(file);
            for (TensorSource tensor : shards.get(i)) {
                weightMap.addProperty(tensor.name(), shardName);
            }
        }
        JsonObject indexMetadata = new JsonObject();
        indexMetadata.addProperty("total_size", totalBytes);
        JsonObject index = new JsonObject();
        index.add("metadata", indexMetadata);
        index.add("weight_map", weightMap);
        Path indexFile = dir.resolve(SafetensorsCheckpoint.INDEX_FILE);
        Path tmp = temporary(indexFile);
        try {
            Files.writeString(tmp, PRETTY.toJson(index) + "\n", StandardCharsets.UTF_8);
            moveIntoPlace(tmp, indexFile);
        } finally {
            Files.deleteIfExists(tmp);
        }
        written.add(indexFile);
        return written;
    }

    private void writeFile(Path file, List<TensorSource> contents) throws IOException {
        List<TensorSource> layout = new ArrayList<>(contents);
        layout.sort(
                Comparator.comparingInt((TensorSource t) -> -t.dtype().byteSize())
                        .thenComparing(TensorSource::name));
        byte[] header = header(layout);
        Path tmp = temporary(file);
        try {
            try (FileChannel channel =
                    FileChannel.open(
                            tmp,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING,
                            StandardOpenOption.WRITE)) {
                ByteBuffer prefix =
                        ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).put(header).flip();
                TensorSource.writeFully(channel, prefix);
                ByteBuffer scratch = ByteBuffer.allocateDirect(SCRATCH_BYTES);
                for (TensorSource tensor : layout) {
                    long before = channel.position();
                    tensor.writeTo(channel, scratch);
                    long wrote = channel.position() - before;
                    if (wrote != tensor.byteSize()) {
                        throw new IOException(
                                file
                                        + ": tensor '"
                                        + tensor.name()
                                        + "' wrote "
                                        + wrote
                                        + " bytes, expected "
                                        + tensor.byteSize());
                    }
                }
            }
            moveIntoPlace(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private byte[] header(List<TensorSource> layout) {
        JsonObject root = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            root.add(SafetensorsHeader.METADATA_KEY, meta);
        }
        long offset = 0;
        for (TensorSource tensor : layout) {
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", tensor.dtype().name());
            JsonArray shape = new JsonArray();
            for (long dim : tensor.dims()) {
                shape.add(dim);
            }
            entry.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + tensor.byteSize());
            entry.add("data_offsets", offsets);
            root.add(tensor.name(), entry);
            offset += tensor.byteSize();
        }
        byte[] json = GSON.toJson(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            header[i] = ' ';
        }
        return header;
    }

    private static Path temporary(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    private static void moveIntoPlace(Path tmp, Path file) throws IOException {
        try {
            Files.move(
                    tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
