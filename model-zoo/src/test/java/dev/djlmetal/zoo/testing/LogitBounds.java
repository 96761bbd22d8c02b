package dev.djlmetal.zoo.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.djlmetal.testing.FloatErrorBounds;
import dev.djlmetal.zoo.decoder.DecoderConfig;

/**
 * Tolerances for comparing the logits of a decoder computed two ways (float32 against a
 * double-precision reference, cached against recomputed, padded against unpadded, one backend
 * against another), derived from the computation rather than picked: the float32 bound of a sum of
 * as many terms as one forward pass accumulates along its longest path, relative to the size of the
 * logits of the row.
 *
 * <p>Per layer the path accumulates the RMSNorm's mean of squares ({@code hidden} terms), a query,
 * key or value projection ({@code hidden}), an attention score ({@code headDim}), the softmax and
 * the weighted sum of values (the context, twice), the output projection ({@code heads * headDim}),
 * the second RMSNorm and the gate or up projection ({@code hidden} each) and the down projection
 * ({@code intermediate}); then the final norm and the output projection ({@code hidden} each). This
 * is the classical bound of one long dot product, not a worst case through every nonlinearity
 * (which would be vacuous): it grows with depth, width and context as the rounding error does,
 * while a wrong weight, position, mask or cache entry moves logits by orders of magnitude more.
 */
public final class LogitBounds {

    private final long terms;
    private final int evaluations;

    private LogitBounds(long terms, int evaluations) {
        this.terms = terms;
        this.evaluations = evaluations;
    }

    /**
     * Returns the bounds for two float32 evaluations of a model, or one float32 evaluation against
     * a double-precision reference.
     *
     * @param layers the decoder layers
     * @param hidden the hidden size
     * @param intermediate the MLP's intermediate size
     * @param heads the attention heads
     * @param headDim the head dimension
     * @param context the longest context (cached plus new positions)
     * @param floatEvaluations 2 when both sides are float32 computations, 1 against a double
     *     reference
     * @return the bounds
     */
    public static LogitBounds of(
            int layers,
            int hidden,
            int intermediate,
            int heads,
            int headDim,
            int context,
            int floatEvaluations) {
        long perLayer =
                4L * hidden + headDim + 2L * context + (long) heads * headDim + intermediate;
        return new LogitBounds(layers * perLayer + 2L * hidden, floatEvaluations);
    }

    /**
     * Returns the bounds of a Llama-family config.
     *
     * @param config the model config
     * @param context the longest context
     * @param floatEvaluations 2 for two float32 computations, 1 against a double reference
     * @return the bounds
     */
    public static LogitBounds of(DecoderConfig config, int context, int floatEvaluations) {
        return of(
                config.getNumHiddenLayers(),
                config.getHiddenSize(),
                config.getIntermediateSize(),
                config.getNumAttentionHeads(),
                config.getHeadDim(),
                context,
                floatEvaluations);
    }

    /**
     * Returns the number of accumulated terms along the longest path.
     *
     * @return the term count
     */
    public long terms() {
        return terms;
    }

    /**
     * Returns the tolerance for the logits of a row whose largest magnitude is {@code rowMaxAbs}:
     * {@code floatEvaluations * gamma(terms) * (rowMaxAbs + 1)}, the 1 standing for the unit scale
     * of the normalized hidden states that feed the output projection.
     *
     * @param rowMaxAbs the largest absolute logit of the row
     * @return the tolerance
     */
    public double tolerance(double rowMaxAbs) {
        return evaluations * FloatErrorBounds.gamma(terms) * (rowMaxAbs + 1);
    }

    /**
     * Returns the tolerance for a log-probability (a logit minus the log-sum-exp of its row): twice
     * the logit tolerance, since both terms move, plus the float32 rounding of a sum of {@code
     * vocab} exponentials and its logarithm.
     *
     * @param rowMaxAbs the largest absolute logit of the row
     * @param vocab the row length
     * @return the tolerance
     */
    public double logprobTolerance(double rowMaxAbs, int vocab) {
        return 2 * tolerance(rowMaxAbs) + FloatErrorBounds.gamma(vocab + 8);
    }

    /**
     * Asserts that two logit matrices agree row by row within {@link #tolerance}.
     *
     * @param expected row-major {@code [rows, vocab]}
     * @param actual the same shape
     * @param vocab the row length
     * @param what names the comparison in failures
     */
    public void assertClose(double[] expected, float[] actual, int vocab, String what) {
        assertEquals(expected.length, actual.length, what + ": logit count");
        for (int row = 0; row < expected.length / vocab; row++) {
            double max = 0;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, Math.abs(expected[row * vocab + v]));
            }
            double tolerance = tolerance(max);
            for (int v = 0; v < vocab; v++) {
                int i = row * vocab + v;
                if (!(Math.abs(expected[i] - actual[i]) <= tolerance)) {
                    fail(
                            String.format(
                                    "%s: logit %d of row %d is %s, expected %s within %.3g",
                                    what, v, row, actual[i], expected[i], tolerance));
                }
            }
        }
    }

    /**
     * Asserts that two float logit matrices agree row by row within {@link #tolerance}.
     *
     * @param expected row-major {@code [rows, vocab]}
     * @param actual the same shape
     * @param vocab the row length
     * @param what names the comparison in failures
     */
    public void assertClose(float[] expected, float[] actual, int vocab, String what) {
        double[] wide = new double[expected.length];
        for (int i = 0; i < expected.length; i++) {
            wide[i] = expected[i];
        }
        assertClose(wide, actual, vocab, what);
    }
}
