package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.djlmetal.testing.FloatErrorBounds;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decode arithmetic, vector and scalar, against double-precision formulas written out here,
 * within the float32 rounding bound of each computation (a few units in the last place more for
 * {@code exp} and {@code tanh}, whose vector versions are not correctly rounded).
 */
class DecodeMathTest {

    private static final double U = FloatErrorBounds.FLOAT32_UNIT_ROUNDOFF;
    private static final double TRANSCENDENTAL = 32 * U;

    static Stream<DecodeMath> implementations() {
        return Stream.of(DecodeMath.get(), DecodeMath.scalar());
    }

    private static float[] random(Random random, int n, double range) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) ((random.nextDouble() * 2 - 1) * range);
        }
        return values;
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void rmsNormMatchesTheFormula(DecodeMath math) {
        Random random = new Random(1);
        for (int n : new int[] {1, 7, 64, 2051}) {
            float[] x = random(random, n + 3, 4);
            float[] w = random(random, n, 1);
            for (float offset : new float[] {0f, 1f}) {
                float[] out = new float[n + 2];
                math.rmsNorm(x, 3, w, offset, 1e-5f, out, 2, n);
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    sum += (double) x[3 + i] * x[3 + i];
                }
                double inv = 1 / Math.sqrt(sum / n + 1e-5f);
                for (int i = 0; i < n; i++) {
                    double expected = x[3 + i] * inv * (offset + w[i]);
                    // the sum of squares (n terms), the square root, two products
                    double bound = (FloatErrorBounds.gamma(n) + 6 * U) * Math.abs(expected);
                    assertEquals(expected, out[2 + i], bound + Float.MIN_NORMAL, math.name());
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void gatedActivationsMatchTheirFormulas(DecodeMath math) {
        Random random = new Random(2);
        int n = 301;
        float[] gate = random(random, n, 8);
        float[] up = random(random, n, 2);
        float[] out = new float[n];
        for (boolean gelu : new boolean[] {false, true}) {
            math.gatedActivation(gate, 0, up, 0, out, 0, n, gelu);
            for (int i = 0; i < n; i++) {
                double g = gate[i];
                double act =
                        gelu
                                ? 0.5
                                        * g
                                        * (1
                                                + Math.tanh(
                                                        Math.sqrt(2 / Math.PI)
                                                                * (g + 0.044715 * g * g * g)))
                                : g / (1 + Math.exp(-g));
                double expected = act * up[i];
                double bound = TRANSCENDENTAL * Math.abs(g * up[i]);
                assertEquals(expected, out[i], bound + Float.MIN_NORMAL, math.name() + " " + i);
            }
        }
    }

    /**
     * One query head against a cache of {@code t} positions: scores, soft-capped softmax and the
     * weighted sum of values, against the same attention in double precision.
     */
    @ParameterizedTest
    @MethodSource("implementations")
    void attentionOfOneQueryMatchesDoublePrecision(DecodeMath math) {
        Random random = new Random(3);
        int headDim = 64;
        int capacity = 300;
        for (int positions : new int[] {1, 5, 33, 257}) {
            for (float cap : new float[] {0f, 30f}) {
                float[] q = random(random, headDim, 1);
                float[] keys = random(random, headDim * capacity, 1);
                float[] values = random(random, capacity * headDim, 1);
                float scale = 0.125f;
                float[] p = new float[positions];
                math.scores(q, 0, keys, 0, capacity, headDim, 0, positions, scale, p);
                double[] s = new double[positions];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < positions; t++) {
                    double dot = 0;
                    double magnitude = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q[d] * keys[d * capacity + t];
                        magnitude += Math.abs((double) q[d] * keys[d * capacity + t]);
                    }
                    s[t] = dot * scale;
                    assertEquals(
                            s[t],
                            p[t],
                            FloatErrorBounds.gamma(headDim + 1) * magnitude * scale,
                            "score " + t);
                    if (cap > 0) {
                        s[t] = cap * Math.tanh(s[t] / cap);
                    }
                    max = Math.max(max, s[t]);
                }
                math.softmax(p, 0, positions, cap);
                double sum = 0;
                for (int t = 0; t < positions; t++) {
                    sum += Math.exp(s[t] - max);
                }
                float[] out = new float[headDim];
                math.weightedSum(p, values, 0, headDim, 0, positions, out, 0);
                double total = 0;
                for (int t = 0; t < positions; t++) {
                    double prob = Math.exp(s[t] - max) / sum;
                    total += p[t];
                    // scores err by gamma(headDim) of their magnitude (at most headDim * scale),
                    // exp and the normalization by a few more units
                    double bound =
                            prob
                                    * (2 * FloatErrorBounds.gamma(headDim + 2) * headDim * scale
                                            + (positions + 4) * TRANSCENDENTAL);
                    assertEquals(prob, p[t], bound + Float.MIN_NORMAL, "probability " + t);
                }
                assertEquals(1.0, total, (positions + 8) * TRANSCENDENTAL);
                for (int d = 0; d < headDim; d++) {
                    double expected = 0;
                    for (int t = 0; t < positions; t++) {
                        expected += Math.exp(s[t] - max) / sum * values[t * headDim + d];
                    }
                    // sum of positions terms of probabilities (each within its bound) times |v| <=
                    // 1
                    double bound =
                            FloatErrorBounds.gamma(positions + 1)
                                    + 2 * FloatErrorBounds.gamma(headDim + 2) * headDim * scale
                                    + (positions + 4) * TRANSCENDENTAL;
                    assertEquals(expected, out[d], bound, "output " + d);
                }
            }
        }
    }

    /**
     * Grouped-query attention of a whole token, all heads at once: group sizes with and without a
     * remainder after blocks of four query heads, head dimensions that are and are not a multiple
     * of the vector width, and contexts long enough to be split across threads, each head against
     * its own attention in double precision.
     */
    @ParameterizedTest
    @MethodSource("implementations")
    void attendMatchesEveryHeadInDoublePrecision(DecodeMath math) {
        Random random = new Random(6);
        int[][] shapes = {{8, 8, 64}, {14, 2, 64}, {16, 2, 80}, {12, 3, 32}};
        for (int[] shape : shapes) {
            int heads = shape[0];
            int kvHeads = shape[1];
            int headDim = shape[2];
            int groups = heads / kvHeads;
            int capacity = 700;
            float[] keys = random(random, kvHeads * headDim * capacity, 1);
            float[] values = random(random, kvHeads * capacity * headDim, 1);
            for (int visible : new int[] {1, 37, 650}) {
                for (float cap : new float[] {0f, 20f}) {
                    float scale = (float) (1 / Math.sqrt(headDim));
                    float[] q = random(random, 5 + heads * headDim, 1);
                    float[] out = new float[3 + heads * headDim + 2];
                    out[out.length - 1] = 42f;
                    math.attend(
                            q, 5, heads, kvHeads, headDim, keys, values, capacity, visible, scale,
                            cap, out, 3);
                    assertEquals(42f, out[out.length - 1], "written past the output");
                    for (int h = 0; h < heads; h++) {
                        int kv = h / groups;
                        double[] s = new double[visible];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int t = 0; t < visible; t++) {
                            double dot = 0;
                            for (int d = 0; d < headDim; d++) {
                                dot +=
                                        (double) q[5 + h * headDim + d]
                                                * keys[(kv * headDim + d) * capacity + t];
                            }
                            s[t] = cap > 0 ? cap * Math.tanh(dot * scale / cap) : dot * scale;
                            max = Math.max(max, s[t]);
                        }
                        double sum = 0;
                        for (int t = 0; t < visible; t++) {
                            sum += Math.exp(s[t] - max);
                        }
                        // as for one query: scores within gamma(headDim) of headDim * scale, then
                        // a softmax and a weighted sum of values of magnitude at most 1
                        double bound =
                                FloatErrorBounds.gamma(visible + 1)
                                        + 2 * FloatErrorBounds.gamma(headDim + 2) * headDim * scale
                                        + (visible + 4) * TRANSCENDENTAL;
                        for (int d = 0; d < headDim; d++) {
                            double expected = 0;
                            for (int t = 0; t < visible; t++) {
                                expected +=
                                        Math.exp(s[t] - max)
                                                / sum
                                                * values[(kv * capacity + t) * headDim + d];
                            }
                            assertEquals(
                                    expected,
                                    out[3 + h * headDim + d],
                                    bound,
                                    math.name()
                                            + " "
                                            + Arrays.toString(shape)
                                            + " visible "
                                            + visible
                                            + " head "
                                            + h
                                            + " dim "
                                            + d);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void softmaxAtAnOffsetLeavesTheRestAlone(DecodeMath math) {
        float[] scores = {7f, 1f, 2f, 3f, 9f};
        math.softmax(scores, 1, 3, 0f);
        assertEquals(7f, scores[0]);
        assertEquals(9f, scores[4]);
        double sum = Math.exp(-2) + Math.exp(-1) + 1;
        assertEquals(Math.exp(-2) / sum, scores[1], 8 * TRANSCENDENTAL);
        assertEquals(1 / sum, scores[3], 8 * TRANSCENDENTAL);
    }

    @ParameterizedTest
    @MethodSource("implementations")
    void dotAndAddMatchDoublePrecision(DecodeMath math) {
        Random random = new Random(4);
        for (int n : new int[] {1, 15, 16, 100, 4099}) {
            float[] a = random(random, n + 1, 2);
            float[] b = random(random, n + 2, 2);
            double expected = 0;
            double magnitude = 0;
            for (int i = 0; i < n; i++) {
                expected += (double) a[1 + i] * b[2 + i];
                magnitude += Math.abs((double) a[1 + i] * b[2 + i]);
            }
            assertEquals(expected, math.dot(a, 1, b, 2, n), FloatErrorBounds.gamma(n) * magnitude);
            float[] y = b.clone();
            math.add(a, 1, y, 2, n);
            for (int i = 0; i < n; i++) {
                assertEquals(a[1 + i] + b[2 + i], y[2 + i], 0f, "a single rounded addition");
            }
            math.scale(y, 2, n, 0.5f);
            assertEquals((a[1] + b[2]) * 0.5f, y[2], 0f);
        }
    }

    @Test
    void rotationTurnsPairsByTheirAngle() {
        DecodeMath math = DecodeMath.get();
        float[] x = {1, 2, 3, 4, 5, 6};
        float[] cos = {(float) Math.cos(0.5), (float) Math.cos(1.0)};
        float[] sin = {(float) Math.sin(0.5), (float) Math.sin(1.0)};
        // rotary 4 of head dimension 6: pairs (0, 2) and (1, 3); 4 and 5 pass through
        math.rotate(x, 0, 4, cos, sin);
        assertEquals(1 * cos[0] - 3 * sin[0], x[0], 1e-6);
        assertEquals(3 * cos[0] + 1 * sin[0], x[2], 1e-6);
        assertEquals(2 * cos[1] - 4 * sin[1], x[1], 1e-6);
        assertEquals(4 * cos[1] + 2 * sin[1], x[3], 1e-6);
        assertEquals(5, x[4]);
        assertEquals(6, x[5]);
    }

    @Test
    void theVectorImplementationIsChosenWhenTheModuleIsPresent() {
        String name = DecodeMath.get().name();
        if (CpuKernels.isVectorApiPresent()) {
            assertTrue(name.startsWith("vector-"), name);
            int bits = CpuKernels.requestedVectorBits();
            if (bits != 0) {
                assertEquals("vector-" + bits + "bit", name);
            }
        } else {
            assertEquals("scalar", name);
        }
    }
}
