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

    /**
     * Returns the bound on the float32 error of one output of a product with an affine-quantized
     * weight {@code w = code * scale + bias}, however a kernel evaluates it (dequantize then dot,
     * or {@code scale * dot(code, x) + bias * sum(x)} per group, any order, any vector width): at
     * most {@code K + 2} roundings on terms bounded by {@code (|code * scale| + |bias|) * |x|}.
     *
     * @param k the number of columns K
     * @param magnitude {@code sum_k (|code_k * scale| + |bias|) * |x_k|}
     * @return the bound
     */
    public static double affineProduct(long k, double magnitude) {
        return gamma(k + 2) * magnitude;
    }

    /**
     * Returns the largest change of a value rounded to FLOAT16 (round to nearest: half an ulp, at
     * most {@code 2^-11} relative, for values in the normal range).
     *
     * @param value the value before rounding
     * @return the bound
     */
    public static double toHalf(double value) {
        return 0x1p-11 * Math.abs(value);
    }
}
