package dev.djlmetal.testing;

/**
 * Rounding-error bounds of float32 sums and dot products, for tests that compare two computations
 * of the same quantity done in a different order or shape (another BLAS kernel, another SIMD width,
 * another blocking). Such results may differ in the last bits on one CPU and not on another, so
 * they are never compared for exact equality; the bounds below are the classical ones (Higham,
 * <i>Accuracy and Stability of Numerical Algorithms</i>, section 3.1) and hold for any summation
 * order, with or without fused multiply-add.
 */
public final class FloatErrorBounds {

    /** The unit roundoff of float32 (half an ulp of 1). */
    public static final double FLOAT32_UNIT_ROUNDOFF = 0x1p-24;

    private FloatErrorBounds() {}

    /**
     * Returns {@code gamma_n = n u / (1 - n u)}, the relative error bound of a float32 sum of
     * {@code n} products: {@code |fl(sum) - sum| <= gamma_n * sum |x_i y_i|}.
     *
     * @param n the number of accumulated terms (at least 1)
     * @return gamma_n
     * @throws IllegalArgumentException when {@code n u >= 1}, where no bound exists
     */
    public static double gamma(long n) {
        double nu = Math.max(1, n) * FLOAT32_UNIT_ROUNDOFF;
        if (nu >= 1) {
            throw new IllegalArgumentException("No float32 error bound for " + n + " terms");
        }
        return nu / (1 - nu);
    }

    /**
     * Returns the largest difference between two float32 evaluations, in any two orders, of a sum
     * of {@code n} products whose absolute values add up to {@code absSum}: each is within {@code
     * gamma_n * absSum} of the exact value.
     *
     * @param n the number of accumulated terms
     * @param absSum {@code sum |x_i y_i|}
     * @return the bound on the difference
     */
    public static double twoOrders(long n, double absSum) {
        return 2 * gamma(n) * absSum;
    }

    /**
     * Returns {@code sum |x_i w_i|} over {@code k} terms, in double precision: the magnitude that
     * scales the rounding error of the dot product of {@code x[xOffset..]} and {@code
     * w[wOffset..]}.
     *
     * @param x the first operand
     * @param xOffset where its terms start
     * @param w the second operand
     * @param wOffset where its terms start
     * @param k the number of terms
     * @return the sum of absolute products
     */
    public static double absDot(float[] x, int xOffset, float[] w, int wOffset, int k) {
        double sum = 0;
        for (int i = 0; i < k; i++) {
            sum += Math.abs((double) x[xOffset + i] * w[wOffset + i]);
        }
        return sum;
    }
}
