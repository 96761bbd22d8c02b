package dev.djlmetal.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;

/** A tensor queued in a {@link SafetensorsWriter}: its header entry and how to stream its bytes. */
abstract class TensorSource {

    private final String name;
    private final SafetensorsDType dtype;
    private final long[] dims;
    private final long elementCount;

    TensorSource(String name, SafetensorsDType dtype, long[] dims) {
        this.name = name;
        this.dtype = dtype;
        this.dims = dims.clone();
        try {
            this.elementCount = TensorInfo.elementCount(this.dims);
            Math.multiplyExact(elementCount, dtype.byteSize());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': invalid shape " + Arrays.toString(dims), e);
        }
    }

    String name() {
        return name;
    }

    SafetensorsDType dtype() {
        return dtype;
    }

    long[] dims() {
        return dims.clone();
    }

    long elementCount() {
        return elementCount;
    }

    long byteSize() {
        return elementCount * dtype.byteSize();
    }

    /**
     * Writes exactly {@link #byteSize()} little-endian bytes.
     *
     * @param channel the destination
     * @param scratch a reusable direct buffer for conversions, at least 8 bytes
     * @throws IOException when writing fails
     */
    abstract void writeTo(WritableByteChannel channel, ByteBuffer scratch) throws IOException;

    static void writeFully(WritableByteChannel channel, ByteBuffer data) throws IOException {
        while (data.hasRemaining()) {
            channel.write(data);
        }
    }

    /** Bytes supplied by the caller, already in file layout. */
    static final class Raw extends TensorSource {

        private final ByteBuffer data;

        Raw(String name, SafetensorsDType dtype, long[] dims, ByteBuffer data) {
            super(name, dtype, dims);
            this.data = data.duplicate();
            if (this.data.remaining() != byteSize()) {
                throw new IllegalArgumentException(
                        "tensor '"
                                + name
                                + "': data holds "
                                + this.data.remaining()
                                + " bytes but shape "
                                + Arrays.toString(dims)
                                + " of "
                                + dtype
                                + " needs "
                                + byteSize());
            }
        }

        @Override
        void writeTo(WritableByteChannel channel, ByteBuffer scratch) throws IOException {
            writeFully(channel, data.duplicate());
        }
    }

    /** An NDArray, written in its own dtype or converted to another. */
    static final class FromArray extends TensorSource {

        private final NDArray array;

        FromArray(String name, NDArray array, SafetensorsDType dtype) {
            super(name, dtype, array.getShape().getShape());
            this.array = array;
            DataType source = array.getDataType();
            if (!canWrite(source, dtype)) {
                throw new IllegalArgumentException(
                        "tensor '"
                                + name
                                + "': cannot write a "
                                + source.name()
                                + " array as "
                                + dtype
                                + "; allowed: the array's own dtype, INT32 as U32, FLOAT32 or"
                                + " FLOAT16 as F32, F16 or BF16");
            }
        }

        static boolean canWrite(DataType source, SafetensorsDType target) {
            if (source == DataType.FLOAT32 || source == DataType.FLOAT16) {
                return target.isFloatingPoint();
            }
            if (source == DataType.INT32) {
                return target == SafetensorsDType.I32 || target == SafetensorsDType.U32;
            }
            return target.dataType() == source && !target.isFloatingPoint();
        }

        @Override
        void writeTo(WritableByteChannel channel, ByteBuffer scratch) throws IOException {
            DataType source = array.getDataType();
            ByteBuffer data = array.toByteBuffer().order(ByteOrder.nativeOrder());
            long expected = elementCount() * source.getNumOfBytes();
            if (data.remaining() != expected) {
                throw new IllegalStateException(
                        "tensor '"
                                + name()
                                + "': the array returned "
                                + data.remaining()
                                + " bytes, expected "
                                + expected);
            }
            boolean sameBits =
                    source.getNumOfBytes() == dtype().byteSize()
                            && (!source.isFloating() || source == dtype().dataType());
            if (sameBits && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                writeFully(channel, data);
            } else if (sameBits) {
                writeSwapped(channel, data, scratch);
            } else {
                writeConvertedFloats(channel, data, source, scratch);
            }
        }

        private void writeSwapped(WritableByteChannel channel, ByteBuffer data, ByteBuffer scratch)
                throws IOException {
            int size = dtype().byteSize();
            int chunk = scratch.capacity() / size * size;
            while (data.hasRemaining()) {
                int n = Math.min(chunk, data.remaining());
                ByteBuffer part = data.slice().limit(n).order(ByteOrder.nativeOrder());
                scratch.clear();
                TensorConversions.copyElements(part, scratch.order(ByteOrder.LITTLE_ENDIAN), size);
                scratch.limit(n);
                writeFully(channel, scratch);
                data.position(data.position() + n);
            }
        }

        private void writeConvertedFloats(
                WritableByteChannel channel, ByteBuffer data, DataType source, ByteBuffer scratch)
                throws IOException {
            FloatBuffer floats = source == DataType.FLOAT32 ? data.asFloatBuffer() : null;
            ShortBuffer halves = source == DataType.FLOAT16 ? data.asShortBuffer() : null;
            SafetensorsDType target = dtype();
            int perChunk = scratch.capacity() / target.byteSize();
            int count = Math.toIntExact(elementCount());
            for (int start = 0; start < count; start += perChunk) {
                int end = Math.min(count, start + perChunk);
                scratch.clear().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = start; i < end; i++) {
                    float value =
                            floats != null
                                    ? floats.get(i)
                                    : HalfPrecision.f16ToFloat(halves.get(i));
                    if (target == SafetensorsDType.F32) {
                        scratch.putFloat(value);
                    } else if (target == SafetensorsDType.F16) {
                        scratch.putShort(HalfPrecision.floatToF16(value));
                    } else {
                        scratch.putShort(HalfPrecision.floatToBf16(value));
                    }
                }
                scratch.flip();
                writeFully(channel, scratch);
            }
        }
    }
}
