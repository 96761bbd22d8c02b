package dev.djlmetal.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file, opened read-only; tensor bytes are memory-mapped one tensor at a time, so
 * files of any size work as long as each tensor is under 2 GB.
 *
 * <p>The header is read and fully validated by {@link #open(Path)}: every tensor's byte range must
 * match its shape and dtype, lie inside the data region and not overlap another tensor. The class
 * is safe for concurrent reads.
 */
public final class SafetensorsFile implements SafetensorsReader {

    private static final Set<SafetensorsDType> FLOAT_DTYPES =
            EnumSet.of(SafetensorsDType.F32, SafetensorsDType.F16, SafetensorsDType.BF16);
    private static final Set<SafetensorsDType> INT_DTYPES =
            EnumSet.of(SafetensorsDType.I32, SafetensorsDType.U32);
    private static final Set<SafetensorsDType> LONG_DTYPES = EnumSet.of(SafetensorsDType.I64);

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
    }

    /**
     * Opens a safetensors file and validates its header.
     *
     * @param path the file
     * @return the open file; close it when done
     * @throws SafetensorsException when the file is not a valid safetensors file
     * @throws IOException when the file cannot be read
     */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SafetensorsFile(path, channel, SafetensorsHeader.read(path, channel));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Returns the path this file was opened from.
     *
     * @return the path
     */
    public Path path() {
        return path;
    }

    /**
     * Returns the absolute file offset of the data region ({@code 8 + header length}); tensor
     * offsets are relative to it.
     *
     * @return the data region offset in bytes
     */
    public long dataOffset() {
        return header.dataStart();
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> names() {
        return header.tensors().keySet();
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    /** {@inheritDoc} */
    @Override
    public TensorInfo info(String name) {
        TensorInfo info = header.tensors().get(name);
        if (info == null) {
            throw new IllegalArgumentException(
                    path + ": no tensor named '" + name + "' among " + names().size() + " tensors");
        }
        return info;
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** {@inheritDoc} */
    @Override
    public ByteBuffer buffer(String name) throws IOException {
        TensorInfo info = info(name);
        checkOpen();
        if (info.byteSize() > Integer.MAX_VALUE) {
            throw new SafetensorsException(
                    path,
                    "tensor '"
                            + name
                            + "' is "
                            + info.byteSize()
                            + " bytes; one buffer holds at most "
                            + Integer.MAX_VALUE
                            + " bytes");
        }
        long start = header.dataStart() + info.begin();
        long size = channel.size();
        if (start + info.byteSize() > size) {
            throw new SafetensorsException(
                    path,
                    "tensor '"
                            + name
                            + "' ends at byte "
                            + (start + info.byteSize())
                            + " but the file now holds "
                            + size
                            + " bytes (changed since it was opened?)");
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, start, info.byteSize())
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toNDArray(NDManager manager, String name) throws IOException {
        TensorInfo info = info(name);
        return load(manager, info, info.dtype().dataType());
    }

    /** {@inheritDoc} */
    @Override
    public NDArray toNDArray(NDManager manager, String name, DataType floatType)
            throws IOException {
        if (floatType != DataType.FLOAT32 && floatType != DataType.FLOAT16) {
            throw new IllegalArgumentException(
                    "floatType must be FLOAT32 or FLOAT16, got " + floatType);
        }
        TensorInfo info = info(name);
        DataType target = info.dtype().isFloatingPoint() ? floatType : info.dtype().dataType();
        return load(manager, info, target);
    }

    private NDArray load(NDManager manager, TensorInfo info, DataType target) throws IOException {
        String name = info.name();
        long bytes = info.elementCount() * target.getNumOfBytes();
        if (bytes > Integer.MAX_VALUE) {
            throw new SafetensorsException(
                    path,
                    "tensor '"
                            + name
                            + "' needs "
                            + bytes
                            + " bytes as "
                            + target.name()
                            + "; one NDArray buffer holds at most "
                            + Integer.MAX_VALUE
                            + " bytes");
        }
        ByteBuffer data =
                TensorConversions.toDirect(
                        buffer(name), info.dtype(), target, (int) info.elementCount());
        NDArray array = manager.create(data, info.shape(), target);
        array.setName(name);
        return array;
    }

    /** {@inheritDoc} */
    @Override
    public float[] toFloatArray(String name) throws IOException {
        TensorInfo info = checkArray(name, "toFloatArray", FLOAT_DTYPES);
        return TensorConversions.toFloats(buffer(name), info.dtype(), (int) info.elementCount());
    }

    /** {@inheritDoc} */
    @Override
    public int[] toIntArray(String name) throws IOException {
        TensorInfo info = checkArray(name, "toIntArray", INT_DTYPES);
        return TensorConversions.toInts(buffer(name), (int) info.elementCount());
    }

    /** {@inheritDoc} */
    @Override
    public long[] toLongArray(String name) throws IOException {
        TensorInfo info = checkArray(name, "toLongArray", LONG_DTYPES);
        return TensorConversions.toLongs(buffer(name), (int) info.elementCount());
    }

    private TensorInfo checkArray(String name, String method, Set<SafetensorsDType> allowed)
            throws SafetensorsException {
        TensorInfo info = info(name);
        SafetensorsDType dtype = info.dtype();
        if (!allowed.contains(dtype)) {
            throw new SafetensorsException(
                    path,
                    "tensor '"
                            + name
                            + "' has dtype "
                            + dtype
                            + "; "
                            + method
                            + " reads "
                            + allowed);
        }
        if (info.elementCount() > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(
                    path,
                    "tensor '"
                            + name
                            + "' has "
                            + info.elementCount()
                            + " elements, too many for one Java array");
        }
        return info;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(path + ": file is closed");
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "SafetensorsFile{" + path + ", " + names().size() + " tensors}";
    }
}
