package dev.djlmetal.io;

import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * The header entry of one tensor: name, dtype, shape and where its bytes lie.
 *
 * <p>Offsets are relative to the start of the data region, as in the file's {@code data_offsets}.
 */
public final class TensorInfo {

    private final String name;
    private final SafetensorsDType dtype;
    private final long[] dims;
    private final long begin;
    private final long end;
    private final long elementCount;

    /**
     * Creates a tensor description.
     *
     * @param name the tensor name
     * @param dtype the element type
     * @param dims the shape; an empty array is a scalar
     * @param begin the offset of the first byte in the data region
     * @param end the offset one past the last byte in the data region
     * @throws IllegalArgumentException when a dimension is negative, the element count overflows,
     *     or the byte range does not match shape and dtype
     */
    public TensorInfo(String name, SafetensorsDType dtype, long[] dims, long begin, long end) {
        this.name = name;
        this.dtype = dtype;
        this.dims = dims.clone();
        this.begin = begin;
        this.end = end;
        this.elementCount = elementCount(this.dims);
        long expected;
        try {
            expected = Math.multiplyExact(elementCount, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': shape " + Arrays.toString(dims) + " is too large", e);
        }
        if (begin < 0 || end - begin != expected) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "': data_offsets ["
                            + begin
                            + ", "
                            + end
                            + "] hold "
                            + (end - begin)
                            + " bytes but shape "
                            + Arrays.toString(dims)
                            + " of "
                            + dtype
                            + " needs "
                            + expected
                            + " bytes");
        }
    }

    /**
     * Returns the number of elements of a shape.
     *
     * @param dims the shape
     * @return the product of the dimensions (1 for a scalar)
     * @throws IllegalArgumentException when a dimension is negative or the product overflows
     */
    static long elementCount(long[] dims) {
        long count = 1;
        for (long dim : dims) {
            if (dim < 0) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(dims) + " has a negative dimension");
            }
            try {
                count = Math.multiplyExact(count, dim);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(
                        "shape " + Arrays.toString(dims) + " has more than 2^63 elements", e);
            }
        }
        return count;
    }

    /**
     * Returns the tensor name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns the element type stored in the file.
     *
     * @return the dtype
     */
    public SafetensorsDType dtype() {
        return dtype;
    }

    /**
     * Returns the shape as a new array.
     *
     * @return the dimensions, outermost first
     */
    public long[] dims() {
        return dims.clone();
    }

    /**
     * Returns the shape as a DJL shape.
     *
     * @return the shape
     */
    public Shape shape() {
        return new Shape(dims);
    }

    /**
     * Returns the offset of the first byte, relative to the data region.
     *
     * @return the begin offset
     */
    public long begin() {
        return begin;
    }

    /**
     * Returns the offset one past the last byte, relative to the data region.
     *
     * @return the end offset
     */
    public long end() {
        return end;
    }

    /**
     * Returns the number of bytes the tensor occupies in the file.
     *
     * @return {@code end - begin}
     */
    public long byteSize() {
        return end - begin;
    }

    /**
     * Returns the number of elements.
     *
     * @return the product of the dimensions
     */
    public long elementCount() {
        return elementCount;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return name + ' ' + dtype + Arrays.toString(dims) + " @[" + begin + ", " + end + ')';
    }
}
