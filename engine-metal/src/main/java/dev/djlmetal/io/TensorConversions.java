package dev.djlmetal.io;

import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/** Converts little-endian tensor bytes from a file into Java arrays and native-order buffers. */
final class TensorConversions {

    private TensorConversions() {}

    /**
     * Returns whether a tensor of the given dtype can load as the given DJL data type.
     *
     * @param dtype the stored dtype
     * @param target the requested data type
     * @return true when supported
     */
    static boolean canConvert(SafetensorsDType dtype, DataType target) {
        if (dtype.isFloatingPoint()) {
            return target == DataType.FLOAT32 || target == DataType.FLOAT16;
        }
        return target == dtype.dataType();
    }

    /**
     * Copies little-endian file bytes into a new direct buffer in native order and the target type.
     *
     * @param source the file bytes of one tensor (position 0, little-endian)
     * @param dtype the stored dtype
     * @param target the data type to produce; {@link #canConvert} must allow it
     * @param count the number of elements
     * @return a direct, native-order buffer of {@code count * target.getNumOfBytes()} bytes
     */
    static ByteBuffer toDirect(
            ByteBuffer source, SafetensorsDType dtype, DataType target, int count) {
        ByteBuffer out =
                ByteBuffer.allocateDirect(count * target.getNumOfBytes())
                        .order(ByteOrder.nativeOrder());
        ByteBuffer in = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == SafetensorsDType.BF16 && target == DataType.FLOAT32) {
            ShortBuffer src = in.asShortBuffer();
            FloatBuffer dst = out.asFloatBuffer();
            for (int i = 0; i < count; i++) {
                dst.put(i, HalfPrecision.bf16ToFloat(src.get(i)));
            }
        } else if (dtype == SafetensorsDType.BF16 && target == DataType.FLOAT16) {
            ShortBuffer src = in.asShortBuffer();
            ShortBuffer dst = out.asShortBuffer();
            for (int i = 0; i < count; i++) {
                dst.put(i, HalfPrecision.floatToF16(HalfPrecision.bf16ToFloat(src.get(i))));
            }
        } else if (dtype == SafetensorsDType.F16 && target == DataType.FLOAT32) {
            ShortBuffer src = in.asShortBuffer();
            FloatBuffer dst = out.asFloatBuffer();
            for (int i = 0; i < count; i++) {
                dst.put(i, HalfPrecision.f16ToFloat(src.get(i)));
            }
        } else if (dtype == SafetensorsDType.F32 && target == DataType.FLOAT16) {
            FloatBuffer src = in.asFloatBuffer();
            ShortBuffer dst = out.asShortBuffer();
            for (int i = 0; i < count; i++) {
                dst.put(i, HalfPrecision.floatToF16(src.get(i)));
            }
        } else {
            copyElements(in, out, dtype.byteSize());
        }
        return out;
    }

    /**
     * Copies whole elements between buffers of possibly different byte orders, swapping bytes when
     * the orders differ.
     *
     * @param src the source, from its position to its limit
     * @param dst the destination, from its position
     * @param elementSize 1, 2, 4 or 8
     */
    static void copyElements(ByteBuffer src, ByteBuffer dst, int elementSize) {
        switch (elementSize) {
            case 1:
                dst.duplicate().put(src.duplicate());
                break;
            case 2:
                dst.asShortBuffer().put(src.asShortBuffer());
                break;
            case 4:
                dst.asIntBuffer().put(src.asIntBuffer());
                break;
            case 8:
                dst.asLongBuffer().put(src.asLongBuffer());
                break;
            default:
                throw new IllegalArgumentException("element size " + elementSize);
        }
    }

    /**
     * Reads F32, F16 or BF16 file bytes as floats.
     *
     * @param source the file bytes (little-endian)
     * @param dtype a floating-point dtype
     * @param count the number of elements
     * @return the values
     */
    static float[] toFloats(ByteBuffer source, SafetensorsDType dtype, int count) {
        ByteBuffer in = source.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[count];
        if (dtype == SafetensorsDType.F32) {
            in.asFloatBuffer().get(values);
        } else {
            ShortBuffer src = in.asShortBuffer();
            boolean brain = dtype == SafetensorsDType.BF16;
            for (int i = 0; i < count; i++) {
                short bits = src.get(i);
                values[i] =
                        brain ? HalfPrecision.bf16ToFloat(bits) : HalfPrecision.f16ToFloat(bits);
            }
        }
        return values;
    }

    /**
     * Reads I32 or U32 file bytes as ints (U32 keeps its bit pattern).
     *
     * @param source the file bytes (little-endian)
     * @param count the number of elements
     * @return the values
     */
    static int[] toInts(ByteBuffer source, int count) {
        int[] values = new int[count];
        IntBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        src.get(values);
        return values;
    }

    /**
     * Reads I64 file bytes as longs.
     *
     * @param source the file bytes (little-endian)
     * @param count the number of elements
     * @return the values
     */
    static long[] toLongs(ByteBuffer source, int count) {
        long[] values = new long[count];
        LongBuffer src = source.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        src.get(values);
        return values;
    }
}
