package dev.djlmetal.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * All safetensors tensors of a model directory, sharded or not, behind one set of accessors.
 *
 * <p>{@link #open(Path)} looks, in this order, for
 *
 * <ol>
 *   <li>{@code model.safetensors.index.json} ({@code {"metadata": ..., "weight_map": {tensor:
 *       shard}}}, as written by transformers and mlx-lm): opens every shard it names and checks
 *       that each listed tensor is in its shard;
 *   <li>{@code model.safetensors};
 *   <li>otherwise every {@code *.safetensors} file of the directory.
 * </ol>
 *
 * <p>A tensor name present in two files is an error. Given a {@code .safetensors} file instead of a
 * directory, opens just that file; given a {@code *.index.json} file, opens the shards it names (in
 * the index's directory).
 */
public final class SafetensorsCheckpoint implements SafetensorsReader {

    /** The file name of an unsharded checkpoint. */
    public static final String SINGLE_FILE = "model.safetensors";

    /** The file name of the shard index. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path root;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owners;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafetensorsCheckpoint(
            Path root, List<SafetensorsFile> files, Map<String, SafetensorsFile> owners) {
        this.root = root;
        this.files = Collections.unmodifiableList(files);
        this.owners = Collections.unmodifiableMap(owners);
        Map<String, String> merged = new LinkedHashMap<>();
        for (SafetensorsFile file : files) {
            file.metadata().forEach(merged::putIfAbsent);
        }
        this.metadata = Collections.unmodifiableMap(merged);
    }

    /**
     * Opens the safetensors checkpoint of a model directory (or a single file).
     *
     * @param path the model directory, a {@code .safetensors} file or a shard index file
     * @return the open checkpoint; close it when done
     * @throws SafetensorsException when the directory holds no safetensors file, the index is
     *     invalid or inconsistent with its shards, a shard is invalid, or a tensor name repeats
     * @throws IOException when a file cannot be read
     */
    public static SafetensorsCheckpoint open(Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            if (!Files.isRegularFile(path)) {
                throw new SafetensorsException(path, "no such file or directory");
            }
            if (path.getFileName().toString().endsWith(".index.json")) {
                return openIndexed(path.toAbsolutePath().getParent(), path);
            }
            return assemble(path, List.of(path), Map.of(), null);
        }
        Path index = path.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openIndexed(path, index);
        }
        Path single = path.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return assemble(path, List.of(single), Map.of(), null);
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(path, "*.safetensors")) {
            for (Path file : stream) {
                if (Files.isRegularFile(file)) {
                    found.add(file);
                }
            }
        }
        if (found.isEmpty()) {
            throw new SafetensorsException(
                    path, "no " + INDEX_FILE + ", " + SINGLE_FILE + " or *.safetensors file");
        }
        Collections.sort(found);
        return assemble(path, found, Map.of(), null);
    }

    private static SafetensorsCheckpoint openIndexed(Path dir, Path index) throws IOException {
        Map<String, String> weightMap = readWeightMap(index);
        List<Path> shards = new ArrayList<>();
        for (String shard : new TreeSet<>(weightMap.values())) {
            shards.add(dir.resolve(shard));
        }
        return assemble(dir, shards, weightMap, index);
    }

    private static Map<String, String> readWeightMap(Path index) throws IOException {
        JsonElement root;
        try (Reader reader = Files.newBufferedReader(index, StandardCharsets.UTF_8)) {
            root = JsonParser.parseReader(reader);
        } catch (JsonParseException e) {
            throw new SafetensorsException(index, "not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("weight_map")) {
            throw new SafetensorsException(index, "must be a JSON object with a weight_map");
        }
        JsonElement map = root.getAsJsonObject().get("weight_map");
        if (!map.isJsonObject()) {
            throw new SafetensorsException(index, "weight_map must be an object, found " + map);
        }
        Map<String, String> weightMap = new TreeMap<>();
        for (Map.Entry<String, JsonElement> entry : ((JsonObject) map).entrySet()) {
            JsonElement shard = entry.getValue();
            if (!shard.isJsonPrimitive() || !shard.getAsJsonPrimitive().isString()) {
                throw new SafetensorsException(
                        index,
                        "weight_map entry '"
                                + entry.getKey()
                                + "' must name a shard file, found "
                                + shard);
            }
            String file = shard.getAsString();
            if (!isPlainFileName(file)) {
                throw new SafetensorsException(
                        index,
                        "weight_map entry '"
                                + entry.getKey()
                                + "' names shard '"
                                + file
                                + "'; shards must be plain file names in the same directory");
            }
            weightMap.put(entry.getKey(), file);
        }
        return weightMap;
    }

    private static boolean isPlainFileName(String file) {
        if (file.isEmpty() || ".".equals(file) || "..".equals(file)) {
            return false;
        }
        try {
            Path relative = Path.of(file);
            return !relative.isAbsolute() && relative.getNameCount() == 1;
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static SafetensorsCheckpoint assemble(
            Path root, List<Path> paths, Map<String, String> weightMap, Path index)
            throws IOException {
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            Map<Path, SafetensorsFile> byPath = new LinkedHashMap<>();
            for (Path path : paths) {
                if (index != null && !Files.isRegularFile(path)) {
                    throw new SafetensorsException(
                            index,
                            "shard '"
                                    + path.getFileName()
                                    + "' (holding tensor '"
                                    + firstTensorOf(weightMap, path)
                                    + "') does not exist: "
                                    + path);
                }
                SafetensorsFile file = SafetensorsFile.open(path);
                files.add(file);
                byPath.put(path, file);
            }
            Map<String, SafetensorsFile> owners = new TreeMap<>();
            for (SafetensorsFile file : files) {
                for (String name : file.names()) {
                    SafetensorsFile previous = owners.putIfAbsent(name, file);
                    if (previous != null) {
                        throw new SafetensorsException(
                                root,
                                "tensor '"
                                        + name
                                        + "' appears in both "
                                        + previous.path().getFileName()
                                        + " and "
                                        + file.path().getFileName());
                    }
                }
            }
            for (Map.Entry<String, String> entry : weightMap.entrySet()) {
                SafetensorsFile shard = byPath.get(root.resolve(entry.getValue()));
                if (!shard.contains(entry.getKey())) {
                    throw new SafetensorsException(
                            index,
                            "tensor '"
                                    + entry.getKey()
                                    + "' is mapped to shard '"
                                    + entry.getValue()
                                    + "', which does not contain it");
                }
            }
            return new SafetensorsCheckpoint(root, files, owners);
        } catch (IOException | RuntimeException e) {
            for (SafetensorsFile file : files) {
                try {
                    file.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static String firstTensorOf(Map<String, String> weightMap, Path shard) {
        String name = shard.getFileName().toString();
        for (Map.Entry<String, String> entry : weightMap.entrySet()) {
            if (entry.getValue().equals(name)) {
                return entry.getKey();
            }
        }
        return "";
    }

    /**
     * Returns the directory (or file) this checkpoint was opened from.
     *
     * @return the path given to {@link #open(Path)}
     */
    public Path path() {
        return root;
    }

    /**
     * Returns the open files, in the order they were opened (shard order).
     *
     * @return an unmodifiable list
     */
    public List<SafetensorsFile> files() {
        return files;
    }

    /**
     * Returns the file holding a tensor.
     *
     * @param name the tensor name
     * @return the file
     * @throws IllegalArgumentException when no file holds the tensor
     */
    public SafetensorsFile fileOf(String name) {
        SafetensorsFile file = owners.get(name);
        if (file == null) {
            throw new IllegalArgumentException(
                    root
                            + ": no tensor named '"
                            + name
                            + "' among "
                            + owners.size()
                            + " tensors in "
                            + files.size()
                            + " file(s)");
        }
        if (closed) {
            throw new IllegalStateException(root + ": checkpoint is closed");
        }
        return file;
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> names() {
        return owners.keySet();
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String name) {
        return owners.containsKey(name);
    }

    /** {@inheritDoc} */
    @Override
    public TensorInfo info(String name) {
        return fileOf(name).info(name);
    }

    /**
     * Returns the {@code __metadata__} entries of all files merged; when files disagree on a key,
     * the first file (in {@link #files()} order) wins.
     *
     * @return an unmodifiable map
     */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    /** {@inheritDoc} */
    @Override
    public ByteBuffer buffer(String name) throws IOException {
        return fileOf(name).buffer(name);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toNDArray(NDManager manager, String name) throws IOException {
        return fileOf(name).toNDArray(manager, name);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toNDArray(NDManager manager, String name, DataType floatType)
            throws IOException {
        return fileOf(name).toNDArray(manager, name, floatType);
    }

    /** {@inheritDoc} */
    @Override
    public float[] toFloatArray(String name) throws IOException {
        return fileOf(name).toFloatArray(name);
    }

    /** {@inheritDoc} */
    @Override
    public int[] toIntArray(String name) throws IOException {
        return fileOf(name).toIntArray(name);
    }

    /** {@inheritDoc} */
    @Override
    public long[] toLongArray(String name) throws IOException {
        return fileOf(name).toLongArray(name);
    }

    /** {@inheritDoc} */
    @Override
    public void close() throws IOException {
        closed = true;
        IOException failure = null;
        for (SafetensorsFile file : files) {
            try {
                file.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "SafetensorsCheckpoint{"
                + root
                + ", "
                + owners.size()
                + " tensors in "
                + files.size()
                + " file(s)}";
    }
}
