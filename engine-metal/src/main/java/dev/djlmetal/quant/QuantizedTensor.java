package dev.djlmetal.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * An affine group-quantized weight matrix {@code W[N, K]}, or a stack of {@code E} such matrices
 * {@code W[E, N, K]} (the experts of a mixture-of-experts layer): packed codes, one scale and one
 * bias per group.
 *
 * <p>{@code W[n, k] ~ q[n, k] * scales[n, k / groupSize] + biases[n, k / groupSize]}. The codes of
 * a row form one little-endian, least-significant-bit-first bit stream stored as uint32 words;
 * since DJL cannot hold UINT32 arrays, {@link #packed()} is an INT32 array holding the same bit
 * pattern. A stack has one more leading axis on all three arrays ({@code [E, N, K * bits / 32]} and
 * {@code [E, N, K / groupSize]}); {@link #slice(int)} views one of its matrices. Backends and
 * quantized layers take matrices only.
 *
 * <p>The tensor owns its three arrays: {@link #close()} closes them.
 */
public final class QuantizedTensor implements AutoCloseable {

    private final NDArray packed;
    private final NDArray scales;
    private final NDArray biases;
    private final QuantSpec spec;

    /**
     * Creates a quantized tensor after checking that the shapes and data types agree.
     *
     * @param packed the packed codes, INT32 {@code [N, K * bits / 32]}
     * @param scales the scales, float {@code [N, K / groupSize]}
     * @param biases the biases, same shape and data type as the scales
     * @param bits the code width
     * @param groupSize the group size
     * @throws IllegalArgumentException when the arrays do not describe one valid quantized matrix
     */
    public QuantizedTensor(
            NDArray packed, NDArray scales, NDArray biases, int bits, int groupSize) {
        this.spec = QuantSpec.of(bits, groupSize);
        validate(packed, scales, biases, spec);
        this.packed = packed;
        this.scales = scales;
        this.biases = biases;
    }

    private static void validate(NDArray packed, NDArray scales, NDArray biases, QuantSpec spec) {
        if (packed.getDataType() != DataType.INT32) {
            throw new IllegalArgumentException(
                    "Packed weight must be INT32 (uint32 bits), got " + packed.getDataType());
        }
        Shape ps = packed.getShape();
        Shape ss = scales.getShape();
        int dims = ps.dimension();
        if ((dims != 2 && dims != 3) || ss.dimension() != dims) {
            throw new IllegalArgumentException(
                    "Packed weight and scales must both be 2-D (a matrix) or both 3-D (a stack of"
                            + " matrices), got "
                            + ps
                            + " and "
                            + ss);
        }
        if (!ss.equals(biases.getShape())) {
            throw new IllegalArgumentException(
                    "Scales " + ss + " and biases " + biases.getShape() + " differ in shape");
        }
        if (!scales.getDataType().isFloating() || scales.getDataType() != biases.getDataType()) {
            throw new IllegalArgumentException(
                    "Scales and biases must share one float data type, got "
                            + scales.getDataType()
                            + " and "
                            + biases.getDataType());
        }
        if (!ps.slice(0, dims - 1).equals(ss.slice(0, dims - 1))) {
            throw new IllegalArgumentException(
                    "Packed weight "
                            + ps
                            + " and scales "
                            + ss
                            + " disagree on the number of "
                            + (dims == 3 ? "matrices or rows" : "rows"));
        }
        long words = ps.get(dims - 1);
        long fromPacked = words * 32 / spec.getBits();
        long fromScales = ss.get(dims - 1) * spec.getGroupSize();
        if (words * 32 % spec.getBits() != 0 || fromPacked != fromScales) {
            throw new IllegalArgumentException(
                    "Packed weight "
                            + ps
                            + " holds "
                            + fromPacked
                            + " columns at "
                            + spec.getBits()
                            + " bits but scales "
                            + ss
                            + " cover "
                            + fromScales
                            + " columns at group size "
                            + spec.getGroupSize());
        }
    }

    /**
     * Returns whether this is a stack of matrices ({@code [E, N, K]}) rather than one matrix.
     *
     * @return true for a stack
     */
    public boolean isStacked() {
        return packed.getShape().dimension() == 3;
    }

    /**
     * Returns the number of matrices.
     *
     * @return E for a stack, 1 for a matrix
     */
    public long stackSize() {
        return isStacked() ? packed.getShape().get(0) : 1;
    }

    /**
     * Returns one matrix of a stack, as views of this tensor's arrays (no copy). The slice shares
     * the data of this tensor, which keeps owning it: close the slice when done with it, and do not
     * use it after this tensor is closed.
     *
     * @param index the matrix, {@code 0 <= index < stackSize()}
     * @return the matrix {@code [N, K]}
     * @throws IllegalStateException when this tensor is a single matrix
     * @throws IndexOutOfBoundsException when the index is outside the stack
     */
    public QuantizedTensor slice(int index) {
        if (!isStacked()) {
            throw new IllegalStateException("slice(i) needs a stack of matrices, got " + this);
        }
        if (index < 0 || index >= stackSize()) {
            throw new IndexOutOfBoundsException(
                    "Matrix " + index + " of a stack of " + stackSize() + ": " + this);
        }
        return new QuantizedTensor(
                packed.get(index), scales.get(index), biases.get(index), bits(), groupSize());
    }

    /**
     * Checks that this is a single matrix, for operations defined on matrices only.
     *
     * @param operation what needs the matrix, for the message
     * @throws IllegalArgumentException for a stack of matrices
     */
    public void requireMatrix(String operation) {
        if (isStacked()) {
            throw new IllegalArgumentException(
                    operation
                            + " takes one quantized matrix [N, K], got the stack "
                            + this
                            + "; use slice(i) for its matrices");
        }
    }

    /**
     * Returns the packed codes.
     *
     * @return INT32 {@code [N, K * bits / 32]} ({@code [E, N, K * bits / 32]} for a stack) holding
     *     the uint32 bit pattern
     */
    public NDArray packed() {
        return packed;
    }

    /**
     * Returns the per-group scales.
     *
     * @return {@code [N, K / groupSize]} ({@code [E, N, K / groupSize]} for a stack) in the
     *     weight's float data type
     */
    public NDArray scales() {
        return scales;
    }

    /**
     * Returns the per-group biases (the {@code biases} or {@code qbiases} of checkpoints).
     *
     * @return the same shape and data type as the scales
     */
    public NDArray biases() {
        return biases;
    }

    /**
     * Returns the code width.
     *
     * @return bits per code
     */
    public int bits() {
        return spec.getBits();
    }

    /**
     * Returns the group size.
     *
     * @return weights per scale/bias pair
     */
    public int groupSize() {
        return spec.getGroupSize();
    }

    /**
     * Returns the bits and group size together.
     *
     * @return the spec
     */
    public QuantSpec spec() {
        return spec;
    }

    /**
     * Returns the number of output features N (rows) of the matrix, or of each matrix of a stack.
     *
     * @return N
     */
    public long rows() {
        Shape shape = packed.getShape();
        return shape.get(shape.dimension() - 2);
    }

    /**
     * Returns the number of input features K (logical columns).
     *
     * @return K
     */
    public long columns() {
        Shape shape = scales.getShape();
        return shape.get(shape.dimension() - 1) * spec.getGroupSize();
    }

    /**
     * Returns the logical shape of the dequantized matrix or stack.
     *
     * @return {@code [N, K]}, or {@code [E, N, K]} for a stack
     */
    public Shape logicalShape() {
        return isStacked()
                ? new Shape(stackSize(), rows(), columns())
                : new Shape(rows(), columns());
    }

    /**
     * Returns the bytes held by the packed codes, scales and biases.
     *
     * @return the storage size in bytes
     */
    public long byteSize() {
        return packed.size() * 4
                + scales.size() * scales.getDataType().getNumOfBytes()
                + biases.size() * biases.getDataType().getNumOfBytes();
    }

    /** Closes the three arrays. */
    @Override
    public void close() {
        packed.close();
        scales.close();
        biases.close();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "QuantizedTensor{shape="
                + logicalShape()
                + ", bits="
                + bits()
                + ", groupSize="
                + groupSize()
                + ", scales="
                + scales.getDataType()
                + '}';
    }
}
