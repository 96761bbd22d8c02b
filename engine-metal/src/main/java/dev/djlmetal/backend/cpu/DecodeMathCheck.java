package dev.djlmetal.backend.cpu;

import java.util.SplittableRandom;

/**
 * A quick check, run once before the Vector API {@link DecodeMath} is trusted, that it links and
 * agrees with the scalar implementation on every method within float rounding: sums in another
 * order differ by at most {@code gamma(n)} of their magnitude, and the vector {@code exp} and
 * {@code tanh} by a few units in the last place.
 */
final class DecodeMathCheck {

    /** The unit roundoff of float32. */
    private static final double U = 0x1p-24;

    /**
     * Units in the last place allowed to the vector exp and tanh, and the operations around them.
     */
    private static final double TRANSCENDENTAL_ULPS = 32;

    private DecodeMathCheck() {}

    /**
     * Compares {@code candidate} with {@code reference}.
     *
     * @param candidate the implementation to check
     * @param reference the scalar implementation
     * @throws IllegalStateException when a result differs beyond rounding
     */
    static void verify(DecodeMath candidate, DecodeMath reference) {
        SplittableRandom random = new SplittableRandom(11);
        int n = 77;
        float[] x = random(random, n, 3);
        float[] w = random(random, n, 1);
        float[] a = new float[n];
        float[] b = new float[n];
        candidate.rmsNorm(x, 0, w, 1f, 1e-6f, a, 0, n);
        reference.rmsNorm(x, 0, w, 1f, 1e-6f, b, 0, n);
        compareRelative("rmsNorm", a, b, (n + 8) * U);

        float d1 = candidate.dot(x, 0, w, 0, n);
        float d2 = reference.dot(x, 0, w, 0, n);
        // |x| <= 3 and |w| <= 1
        compareAbsolute("dot", new float[] {d1}, new float[] {d2}, 2 * n * U * 3 * n);

        float[] up = random(random, n, 2);
        for (boolean gelu : new boolean[] {false, true}) {
            candidate.gatedActivation(x, 0, up, 0, a, 0, n, gelu);
            reference.gatedActivation(x, 0, up, 0, b, 0, n, gelu);
            // |act(g)| <= |g|; the error of act scales with |g| where 1 + tanh cancels
            float[] magnitude = new float[n];
            for (int i = 0; i < n; i++) {
                magnitude[i] = Math.abs(x[i] * up[i]);
            }
            compareScaled(gelu ? "gelu" : "silu", a, b, magnitude, TRANSCENDENTAL_ULPS * U);
        }

        int headDim = 64;
        int capacity = 40;
        int positions = 37;
        float[] q = random(random, headDim, 1);
        float[] keys = random(random, headDim * capacity, 1);
        float[] s1 = new float[positions];
        float[] s2 = new float[positions];
        candidate.scores(q, 0, keys, 0, capacity, headDim, 0, positions, 0.125f, s1);
        reference.scores(q, 0, keys, 0, capacity, headDim, 0, positions, 0.125f, s2);
        // |q| and |k| are at most 1: each score is at most headDim / 8 in magnitude
        compareAbsolute("scores", s1, s2, 2 * headDim * U * headDim * 0.125);

        for (float cap : new float[] {0f, 5f}) {
            float[] p1 = s2.clone();
            float[] p2 = s2.clone();
            candidate.softmax(p1, 0, positions, cap);
            reference.softmax(p2, 0, positions, cap);
            compareRelative("softmax", p1, p2, (positions + TRANSCENDENTAL_ULPS) * U);
        }

        float[] values = random(random, capacity * headDim, 1);
        float[] p = s2.clone();
        reference.softmax(p, 0, positions, 0);
        float[] o1 = new float[headDim];
        float[] o2 = new float[headDim];
        candidate.weightedSum(p, values, 0, headDim, 0, positions, o1, 0);
        reference.weightedSum(p, values, 0, headDim, 0, positions, o2, 0);
        // probabilities sum to 1 and |v| <= 1
        compareAbsolute("weightedSum", o1, o2, 2 * positions * U);

        verifyAttend(candidate, reference, random);
    }

    /**
     * Whole-token attention, where the vector code blocks four query heads: seven query heads per
     * key/value head (one block and a remainder of three), compared with the scalar result.
     */
    private static void verifyAttend(
            DecodeMath candidate, DecodeMath reference, SplittableRandom random) {
        int heads = 14;
        int kvHeads = 2;
        int headDim = 64;
        int capacity = 24;
        int visible = 21;
        float scale = 0.125f;
        float[] q = random(random, heads * headDim, 1);
        float[] keys = random(random, kvHeads * headDim * capacity, 1);
        float[] values = random(random, kvHeads * capacity * headDim, 1);
        float[] o1 = new float[heads * headDim];
        float[] o2 = new float[heads * headDim];
        candidate.attend(
                q, 0, heads, kvHeads, headDim, keys, values, capacity, visible, scale, 0f, o1, 0);
        reference.attend(
                q, 0, heads, kvHeads, headDim, keys, values, capacity, visible, scale, 0f, o2, 0);
        // as weightedSum, plus the scores' rounding (at most gamma(headDim) of headDim * scale)
        // carried through exp
        double scoreError = 2 * (headDim + 2) * U * headDim * scale;
        compareAbsolute(
                "attend",
                o1,
                o2,
                2 * visible * U + 2 * scoreError + (visible + TRANSCENDENTAL_ULPS) * U);
    }

    private static float[] random(SplittableRandom random, int n, double range) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextDouble(-range, range);
        }
        return values;
    }

    private static void compareRelative(String what, float[] a, float[] b, double relative) {
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= relative * Math.abs(b[i]) + Float.MIN_NORMAL)) {
                throw new IllegalStateException(
                        what
                                + " differs from the scalar code at "
                                + i
                                + ": "
                                + a[i]
                                + " vs "
                                + b[i]);
            }
        }
    }

    private static void compareScaled(
            String what, float[] a, float[] b, float[] magnitude, double relative) {
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= relative * magnitude[i] + Float.MIN_NORMAL)) {
                throw new IllegalStateException(
                        what
                                + " differs from the scalar code at "
                                + i
                                + ": "
                                + a[i]
                                + " vs "
                                + b[i]);
            }
        }
    }

    private static void compareAbsolute(String what, float[] a, float[] b, double bound) {
        for (int i = 0; i < a.length; i++) {
            if (!(Math.abs(a[i] - b[i]) <= bound)) {
                throw new IllegalStateException(
                        what
                                + " differs from the scalar code at "
                                + i
                                + ": "
                                + a[i]
                                + " vs "
                                + b[i]);
            }
        }
    }
}
