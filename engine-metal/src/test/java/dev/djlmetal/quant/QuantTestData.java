package dev.djlmetal.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.io.HalfPrecision;
import java.util.Random;

/**
 * Seeded test data for quantization tests: random weights, weights with the groups that exercise
 * MLX's corner cases, random codes and inputs.
 *
 * <p>Shared with other modules through the engine-metal test-jar. Every method is deterministic for
 * a given seed.
 */
public final class QuantTestData {

    /** The number of group kinds {@link #weights} cycles through (see {@link #specialGroup}). */
    public static final int GROUP_KINDS = 8;

    private QuantTestData() {}

    /**
     * Returns normally distributed values.
     *
     * @param seed the random seed
     * @param count the number of values
     * @param std the standard deviation
     * @return {@code count} values drawn from N(0, std^2)
     */
    public static float[] gaussian(long seed, int count, float std) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian() * std;
        }
        return values;
    }

    /**
     * Returns a weight matrix mixing Gaussian groups with the corner cases of MLX's quantizer.
     * Group {@code g} (counted row-major over all groups) is {@code specialGroup(g % GROUP_KINDS,
     * ...)}, so with at least {@link #GROUP_KINDS} groups every kind appears. All values are
     * exactly representable in float16, so the same matrix serves float32 and float16 tests.
     *
     * @param seed the random seed
     * @param rows the number of rows N
     * @param columns the number of columns K, a multiple of the group size
     * @param bits the code width the corner cases are built for
     * @param groupSize the group size
     * @return the weight {@code [rows, columns]}, row-major
     */
    public static float[] weights(long seed, int rows, int columns, int bits, int groupSize) {
        Random random = new Random(seed);
        float[] weight = new float[rows * columns];
        for (int g = 0; g < weight.length / groupSize; g++) {
            float[] group = specialGroup(g % GROUP_KINDS, bits, groupSize, random);
            System.arraycopy(group, 0, weight, g * groupSize, groupSize);
        }
        return toHalfPrecision(weight);
    }

    /**
     * Returns one group of a given kind. With {@code n = 2^bits - 1} and the step {@code s = 1/4}:
     *
     * <ol start="0">
     *   <li>max dominates, every code a tie: {@code 0}, {@code n*s} and half-integer multiples of s
     *       between (scale {@code -s}, bias {@code n*s}, {@code (w - bias) / scale} lands on {@code
     *       x.5});
     *   <li>the mirror image: min dominates, ties again (scale {@code s}, bias {@code -n*s});
     *   <li>symmetric, {@code +-n*s/2} at the ends: {@code q0 = rint(-n/2)} is itself a tie;
     *   <li>a positive constant;
     *   <li>all zeros;
     *   <li>a negative constant;
     *   <li>Gaussian with one large outlier;
     *   <li>Gaussian.
     * </ol>
     *
     * @param kind the kind, in {@code [0, GROUP_KINDS)}
     * @param bits the code width
     * @param groupSize the number of values
     * @param random the source of randomness
     * @return the group's values
     */
    public static float[] specialGroup(int kind, int bits, int groupSize, Random random) {
        int n = (1 << bits) - 1;
        float step = 0.25f;
        float[] group = new float[groupSize];
        for (int i = 0; i < groupSize; i++) {
            switch (kind) {
                case 0:
                    group[i] = (random.nextInt(n) + 0.5f) * step;
                    break;
                case 1:
                    group[i] = -(random.nextInt(n) + 0.5f) * step;
                    break;
                case 2:
                    group[i] = (random.nextInt(n) - n / 2) * step;
                    break;
                case 3:
                    group[i] = 0.3f;
                    break;
                case 4:
                    group[i] = 0f;
                    break;
                case 5:
                    group[i] = -1.25f;
                    break;
                default:
                    group[i] = (float) random.nextGaussian() * 0.02f;
                    break;
            }
        }
        switch (kind) {
            case 0:
                group[random.nextInt(groupSize / 2)] = 0f;
                group[random.nextInt(groupSize / 2) + groupSize / 2] = n * step;
                break;
            case 1:
                group[random.nextInt(groupSize / 2)] = 0f;
                group[random.nextInt(groupSize / 2) + groupSize / 2] = -n * step;
                break;
            case 2:
                group[0] = -n * step / 2;
                group[groupSize - 1] = n * step / 2;
                break;
            case 6:
                group[random.nextInt(groupSize)] = 0.5f;
                break;
            default:
                break;
        }
        return group;
    }

    /**
     * Rounds every value to the nearest float16 value (ties to even).
     *
     * @param values the values
     * @return a new array of values exactly representable in float16
     */
    public static float[] toHalfPrecision(float[] values) {
        float[] rounded = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            rounded[i] = HalfPrecision.roundToF16(values[i]);
        }
        return rounded;
    }

    /**
     * Returns uniformly random codes.
     *
     * @param seed the random seed
     * @param count the number of codes
     * @param bits the code width
     * @return {@code count} codes in {@code [0, 2^bits)}
     */
    public static int[] randomCodes(long seed, int count, int bits) {
        Random random = new Random(seed);
        int[] codes = new int[count];
        for (int i = 0; i < count; i++) {
            codes[i] = random.nextInt(1 << bits);
        }
        return codes;
    }

    /**
     * Creates a 2-D array of the given float data type holding {@code values}.
     *
     * @param manager the manager of the new array
     * @param values the values, row-major
     * @param rows the number of rows
     * @param columns the number of columns
     * @param type {@link DataType#FLOAT32} or {@link DataType#FLOAT16}
     * @return the array {@code [rows, columns]}
     */
    public static NDArray array(
            NDManager manager, float[] values, int rows, int columns, DataType type) {
        NDArray array = manager.create(values, new Shape(rows, columns));
        return type == DataType.FLOAT32 ? array : array.toType(type, false);
    }
}
