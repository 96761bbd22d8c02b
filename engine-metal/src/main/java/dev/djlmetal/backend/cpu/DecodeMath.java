package dev.djlmetal.backend.cpu;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The element-wise and attention arithmetic of one decoding step, on Java arrays: RMS
 * normalization, rotary embeddings, activations, and attention of one query against a key/value
 * cache. A decoder that keeps a token's hidden state in Java memory between the quantized products
 * ({@link ArrayProduct}) uses these instead of a dozen NDArray operations per layer, each of which
 * costs tens of microseconds in the engine at batch size one.
 *
 * <p>{@link #get()} returns the Vector API implementation when the {@code jdk.incubator.vector}
 * module is present and passes a check against the scalar one (the same rules as the cpu backend's
 * kernel, see {@link CpuKernels}), and the scalar implementation otherwise. Implementations are
 * stateless and thread-safe.
 *
 * <p>The key cache of one key/value head is stored dimension-major, {@code keys[d * capacity + t]},
 * so that the scores of consecutive positions are computed across vector lanes without reductions;
 * the value cache is position-major, {@code values[t * headDim + d]}.
 */
public abstract class DecodeMath {

    private static final Logger logger = LoggerFactory.getLogger(DecodeMath.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /** Each thread's attention scores, grown to the longest context it has attended. */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    /** Creates an implementation. */
    DecodeMath() {}

    /** The implementation of this JVM, chosen once. */
    private static final class Holder {
        static final DecodeMath INSTANCE = choose();
    }

    /**
     * Returns the implementation of this JVM: Vector API code when it can run, scalar code
     * otherwise.
     *
     * @return the shared instance
     */
    public static DecodeMath get() {
        return Holder.INSTANCE;
    }

    /**
     * Returns the plain Java implementation (the reference of the vector one).
     *
     * @return a scalar instance
     */
    public static DecodeMath scalar() {
        return new ScalarDecodeMath();
    }

    private static DecodeMath choose() {
        boolean wanted =
                Boolean.parseBoolean(System.getProperty(CpuKernels.VECTOR_PROPERTY, "true"));
        if (!wanted || !CpuKernels.isVectorApiPresent()) {
            return scalar();
        }
        try {
            DecodeMath vector =
                    (DecodeMath)
                            Class.forName(DecodeMath.class.getPackageName() + ".VectorDecodeMath")
                                    .getDeclaredConstructor()
                                    .newInstance();
            DecodeMathCheck.verify(vector, scalar());
            return vector;
        } catch (ReflectiveOperationException
                | LinkageError
                | RuntimeException
                | AssertionError e) {
            if (WARNED.compareAndSet(false, true)) {
                logger.warn(
                        "The Vector API decode arithmetic cannot run on this JVM (Java {}): {};"
                                + " using scalar code",
                        Runtime.version(),
                        e.toString());
            }
            return scalar();
        }
    }

    /**
     * Returns a short name for logs and benchmarks.
     *
     * @return for example {@code vector-512bit} or {@code scalar}
     */
    public abstract String name();

    /**
     * RMS normalization: {@code out[i] = x[i] / sqrt(mean(x^2) + eps) * (weightOffset +
     * weight[i])}, the mean of squares accumulated in double precision.
     *
     * @param x the input
     * @param xOffset where the input starts
     * @param weight the per-element weight ({@code n} values)
     * @param weightOffset 0, or 1 for models that store {@code weight - 1} (Gemma)
     * @param eps the epsilon inside the square root
     * @param out the output (may be {@code x})
     * @param outOffset where the output starts
     * @param n the number of elements
     */
    public abstract void rmsNorm(
            float[] x,
            int xOffset,
            float[] weight,
            float weightOffset,
            float eps,
            float[] out,
            int outOffset,
            int n);

    /**
     * Returns the dot product of {@code n} elements of two arrays.
     *
     * @param a the first operand
     * @param aOffset where it starts
     * @param b the second operand
     * @param bOffset where it starts
     * @param n the number of elements
     * @return the sum of products
     */
    public abstract float dot(float[] a, int aOffset, float[] b, int bOffset, int n);

    /**
     * Adds {@code x} to {@code y} in place: {@code y[i] += x[i]}.
     *
     * @param x the addend
     * @param xOffset where it starts
     * @param y the sum, in place
     * @param yOffset where it starts
     * @param n the number of elements
     */
    public abstract void add(float[] x, int xOffset, float[] y, int yOffset, int n);

    /**
     * The gated activation of a SwiGLU or GeGLU MLP: {@code out[i] = act(gate[i]) * up[i]}, with
     * {@code act} SiLU ({@code x / (1 + e^-x)}) or the tanh approximation of GELU.
     *
     * @param gate the gate projection
     * @param gateOffset where it starts
     * @param up the up projection
     * @param upOffset where it starts
     * @param out the output (may alias either input at the same offset)
     * @param outOffset where it starts
     * @param n the number of elements
     * @param gelu true for GELU (tanh approximation), false for SiLU
     */
    public abstract void gatedActivation(
            float[] gate,
            int gateOffset,
            float[] up,
            int upOffset,
            float[] out,
            int outOffset,
            int n,
            boolean gelu);

    /**
     * Multiplies every element by a factor in place.
     *
     * @param x the values
     * @param offset where they start
     * @param n the number of elements
     * @param factor the factor
     */
    public abstract void scale(float[] x, int offset, int n, float factor);

    /**
     * Writes the attention scores of one query head against positions {@code [t0, t1)} of one key
     * head: {@code out[t - t0] = scale * dot(q, k_t)}, with the keys stored dimension-major.
     *
     * @param q the query
     * @param qOffset where the query head starts ({@code headDim} values)
     * @param keys the key cache of the head, {@code keys[kOffset + d * capacity + t]}
     * @param kOffset where the head's keys start
     * @param capacity the cache's stride between dimensions
     * @param headDim the head dimension
     * @param t0 the first position
     * @param t1 one past the last position
     * @param scale the score scale ({@code 1 / sqrt(headDim)} or the model's)
     * @param out receives {@code t1 - t0} scores
     */
    public abstract void scores(
            float[] q,
            int qOffset,
            float[] keys,
            int kOffset,
            int capacity,
            int headDim,
            int t0,
            int t1,
            float scale,
            float[] out);

    /**
     * Turns scores into probabilities in place: {@code p[i] = exp(s[i] - max) / sum}, after an
     * optional soft cap {@code s = cap * tanh(s / cap)}.
     *
     * @param scores the scores
     * @param offset where the scores start
     * @param n the number of scores
     * @param softCap the soft cap, or 0 for none
     */
    public abstract void softmax(float[] scores, int offset, int n, float softCap);

    /**
     * Accumulates values weighted by probabilities: {@code out[d] += sum_t p[t - t0] *
     * values[vOffset + t * headDim + d]} over positions {@code [t0, t1)}.
     *
     * @param p the probabilities, {@code t1 - t0} values
     * @param values the value cache of the head, position-major
     * @param vOffset where the head's values start
     * @param headDim the head dimension
     * @param t0 the first position
     * @param t1 one past the last position
     * @param out the accumulated output, {@code headDim} values
     * @param outOffset where it starts
     */
    public abstract void weightedSum(
            float[] p,
            float[] values,
            int vOffset,
            int headDim,
            int t0,
            int t1,
            float[] out,
            int outOffset);

    /**
     * Attention of one token's query heads over a cache: for every query head {@code h} (key/value
     * head {@code h / (heads / kvHeads)}), {@code out_h = sum_t softmax(cap(scale * q_h . k_t))_t
     * v_t} over the first {@code visible} slots. Long contexts are split across the cpu backend's
     * threads by key/value head; the query heads that share a key/value head read its keys and
     * values once.
     *
     * @param q the queries, {@code heads * headDim} values at {@code qOffset}
     * @param qOffset where the queries start
     * @param heads the query heads
     * @param kvHeads the key/value heads (dividing {@code heads})
     * @param headDim the head dimension
     * @param keys the key cache, dimension-major per head ({@code keys[(h * headDim + d) * capacity
     *     + t]})
     * @param values the value cache, position-major per head ({@code values[(h * capacity + t) *
     *     headDim + d]})
     * @param capacity the slots per head of the cache
     * @param visible the slots attended to (at least 1)
     * @param scale the score scale
     * @param softCap the score soft cap, or 0 for none
     * @param out receives {@code heads * headDim} values at {@code outOffset}
     * @param outOffset where the output starts
     */
    public void attend(
            float[] q,
            int qOffset,
            int heads,
            int kvHeads,
            int headDim,
            float[] keys,
            float[] values,
            int capacity,
            int visible,
            float scale,
            float softCap,
            float[] out,
            int outOffset) {
        int groups = heads / kvHeads;
        long work = 2L * groups * visible * headDim;
        RowParallel.shared()
                .forRows(
                        kvHeads,
                        1,
                        work,
                        (kv0, kv1) -> {
                            float[] scores = SCORES.get();
                            if (scores.length < groups * visible) {
                                scores = new float[groups * visible];
                                SCORES.set(scores);
                            }
                            for (int kv = kv0; kv < kv1; kv++) {
                                attendGroup(
                                        q,
                                        qOffset + kv * groups * headDim,
                                        groups,
                                        headDim,
                                        keys,
                                        kv * headDim * capacity,
                                        values,
                                        kv * capacity * headDim,
                                        capacity,
                                        visible,
                                        scale,
                                        softCap,
                                        scores,
                                        out,
                                        outOffset + kv * groups * headDim);
                            }
                        });
    }

    /**
     * Attention of the {@code groups} query heads that share one key/value head. The default runs
     * them one by one; an implementation may read each key and value once for all of them.
     */
    void attendGroup(
            float[] q,
            int qOffset,
            int groups,
            int headDim,
            float[] keys,
            int kOffset,
            float[] values,
            int vOffset,
            int capacity,
            int visible,
            float scale,
            float softCap,
            float[] scores,
            float[] out,
            int outOffset) {
        for (int g = 0; g < groups; g++) {
            scores(
                    q,
                    qOffset + g * headDim,
                    keys,
                    kOffset,
                    capacity,
                    headDim,
                    0,
                    visible,
                    scale,
                    scores);
            softmax(scores, 0, visible, softCap);
            Arrays.fill(out, outOffset + g * headDim, outOffset + (g + 1) * headDim, 0f);
            weightedSum(scores, values, vOffset, headDim, 0, visible, out, outOffset + g * headDim);
        }
    }

    /**
     * Rotates pairs of a head in place (rotary position embedding in the "half split" layout of
     * Hugging Face models: element {@code i} pairs with {@code i + rotary / 2}): {@code x_i' = x_i
     * cos_i - x_j sin_i}, {@code x_j' = x_j cos_i + x_i sin_i}.
     *
     * @param x the head
     * @param offset where the head starts
     * @param rotary the number of rotated dimensions (the head dimension, or less for partial
     *     rotary embeddings)
     * @param cos {@code rotary / 2} cosines
     * @param sin {@code rotary / 2} sines
     */
    public void rotate(float[] x, int offset, int rotary, float[] cos, float[] sin) {
        int half = rotary / 2;
        for (int i = 0; i < half; i++) {
            float a = x[offset + i];
            float b = x[offset + i + half];
            x[offset + i] = a * cos[i] - b * sin[i];
            x[offset + i + half] = b * cos[i] + a * sin[i];
        }
    }
}
