package dev.djlmetal.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * An affine group-quantized weight matrix {@code W[N, K]}: packed codes, one scale and one bias per
 * group.
 *
 * <p>{@code W[n, k] ~ q[n, k] * scales[n, k / groupSize] + biases[n, k / groupSize]}. The codes of
 * a row form one little-endian, least-significant-bit-first bit stream stored as uint32 words;
 * since DJL cannot hold UINT32 arrays, {@link #packed()} is an INT32 array holding the same bit
 * pattern.
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
        if (ps.dimension() != 2 || ss.dimension() != 2) {
            throw new IllegalArgumentException(
                    "Packed weight and scales must be 2-D, got " + ps + " and " + ss);
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
        if (ps.get(0) != ss.get(0)) {
            throw new IllegalArgumentException(
                    "Packed weight "
                            + ps
                            + " and scales "
                            + ss
                            + " disagree on the number of rows");
        }
        long fromPacked = ps.get(1) * 32 / spec.getBits();
        long fromScales = ss.get(1) * spec.getGroupSize();
        if (ps.get(1) * 32 % spec.getBits() != 0 || fromPacked != fromScales) {
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
     * Returns the packed codes.
     *
     * @return INT32 {@code [N, K * bits / 32]} holding the uint32 bit pattern
     */
    public NDArray packed() {
        return packed;
    }

    /**
     * Returns the per-group scales.
     *
     * @return {@code [N, K / groupSize]} in the weight's float data type
     */
    public NDArray scales() {
        return scales;
    }

    /**
     * Returns the per-group biases (the {@code biases} or {@code qbiases} of checkpoints).
     *
     * @return {@code [N, K / groupSize]} in the weight's float data type
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
     * Returns the number of output features N (rows).
     *
     * @return N
     */
    public long rows() {
        return packed.getShape().get(0);
    }

    /**
     * Returns the number of input features K (logical columns).
     *
     * @return K
     */
    public long columns() {
        return scales.getShape().get(1) * spec.getGroupSize();
    }

    /**
     * Returns the logical shape of the dequantized matrix.
     *
     * @return {@code [N, K]}
     */
    public Shape logicalShape() {
        return new Shape(rows(), columns());
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
