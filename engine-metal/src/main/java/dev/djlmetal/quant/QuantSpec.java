package dev.djlmetal.quant;

import java.util.Arrays;
import java.util.Objects;

/**
 * The quantization parameters of one module: the code width in bits and the number of consecutive
 * weights that share one scale and one bias.
 *
 * <p>Supported values follow MLX: bits 2, 3, 4, 5, 6 and 8; group sizes 32, 64 and 128.
 */
public final class QuantSpec {

    /** The supported code widths, in bits. */
    public static final int[] SUPPORTED_BITS = {2, 3, 4, 5, 6, 8};

    /** The supported group sizes. */
    public static final int[] SUPPORTED_GROUP_SIZES = {32, 64, 128};

    private final int bits;
    private final int groupSize;

    private QuantSpec(int bits, int groupSize) {
        this.bits = bits;
        this.groupSize = groupSize;
    }

    /**
     * Returns the spec for the given bits and group size.
     *
     * @param bits the code width, one of {@link #SUPPORTED_BITS}
     * @param groupSize the group size, one of {@link #SUPPORTED_GROUP_SIZES}
     * @return the spec
     * @throws IllegalArgumentException naming the value and the allowed values when either is
     *     unsupported
     */
    public static QuantSpec of(int bits, int groupSize) {
        checkBits("bits", bits);
        checkGroupSize("group_size", groupSize);
        return new QuantSpec(bits, groupSize);
    }

    /**
     * Checks a code width.
     *
     * @param option the option name used in the error message
     * @param bits the value to check
     * @throws IllegalArgumentException when the value is not supported
     */
    public static void checkBits(String option, int bits) {
        if (Arrays.stream(SUPPORTED_BITS).noneMatch(b -> b == bits)) {
            throw new IllegalArgumentException(
                    "Unsupported "
                            + option
                            + "="
                            + bits
                            + "; allowed values: "
                            + Arrays.toString(SUPPORTED_BITS));
        }
    }

    /**
     * Checks a group size.
     *
     * @param option the option name used in the error message
     * @param groupSize the value to check
     * @throws IllegalArgumentException when the value is not supported
     */
    public static void checkGroupSize(String option, int groupSize) {
        if (Arrays.stream(SUPPORTED_GROUP_SIZES).noneMatch(g -> g == groupSize)) {
            throw new IllegalArgumentException(
                    "Unsupported "
                            + option
                            + "="
                            + groupSize
                            + "; allowed values: "
                            + Arrays.toString(SUPPORTED_GROUP_SIZES));
        }
    }

    /**
     * Returns the code width in bits.
     *
     * @return the code width
     */
    public int getBits() {
        return bits;
    }

    /**
     * Returns the group size.
     *
     * @return the number of weights sharing one scale and bias
     */
    public int getGroupSize() {
        return groupSize;
    }

    /**
     * Returns the number of uint32 words that hold one packed row of {@code columns} codes.
     *
     * @param columns the number of input features K (must be divisible by the group size)
     * @return {@code columns * bits / 32}
     */
    public int packedColumns(int columns) {
        return Math.toIntExact((long) columns * bits / 32);
    }

    /**
     * Returns whether a layer with {@code columns} input features can use this spec.
     *
     * @param columns the number of input features K
     * @return true when K is a positive multiple of the group size
     */
    public boolean isEligible(long columns) {
        return columns > 0 && columns % groupSize == 0;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof QuantSpec)) {
            return false;
        }
        QuantSpec other = (QuantSpec) o;
        return bits == other.bits && groupSize == other.groupSize;
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Objects.hash(bits, groupSize);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "QuantSpec{bits=" + bits + ", groupSize=" + groupSize + '}';
    }
}
