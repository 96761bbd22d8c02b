package dev.djlmetal.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DecodeMath} on the Vector API, at the vector width of the cpu backend's kernel (the CPU's
 * preferred width or {@code -Ddjlmetal.cpu.vectorBits}). Loaded by name only when the module is
 * present; vectors are loaded from Java arrays only (JDK 17 to 25).
 */
final class VectorDecodeMath extends DecodeMath {

    private static final VectorSpecies<Float> FLOAT = species(CpuKernels.requestedVectorBits());
    private static final int LANES = FLOAT.length();

    private static VectorSpecies<Float> species(int bits) {
        if (bits == 0) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    @Override
    public String name() {
        return "vector-" + FLOAT.vectorBitSize() + "bit";
    }

    @Override
    public void rmsNorm(
            float[] x,
            int xOffset,
            float[] weight,
            float weightOffset,
            float eps,
            float[] out,
            int outOffset,
            int n) {
        int i = 0;
        double sum = 0;
        FloatVector acc = FloatVector.zero(FLOAT);
        for (; i + LANES <= n; i += LANES) {
            FloatVector v = FloatVector.fromArray(FLOAT, x, xOffset + i);
            acc = v.fma(v, acc);
        }
        sum += acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float v = x[xOffset + i];
            sum += v * v;
        }
        float inv = (float) (1 / Math.sqrt(sum / n + eps));
        FloatVector scale = FloatVector.broadcast(FLOAT, inv);
        FloatVector offset = FloatVector.broadcast(FLOAT, weightOffset);
        i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector.fromArray(FLOAT, x, xOffset + i)
                    .mul(scale)
                    .mul(FloatVector.fromArray(FLOAT, weight, i).add(offset))
                    .intoArray(out, outOffset + i);
        }
        for (; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * inv * (weightOffset + weight[i]);
        }
    }

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        FloatVector a0 = FloatVector.zero(FLOAT);
        FloatVector a1 = FloatVector.zero(FLOAT);
        int i = 0;
        for (; i + 2 * LANES <= n; i += 2 * LANES) {
            a0 =
                    FloatVector.fromArray(FLOAT, a, aOffset + i)
                            .fma(FloatVector.fromArray(FLOAT, b, bOffset + i), a0);
            a1 =
                    FloatVector.fromArray(FLOAT, a, aOffset + i + LANES)
                            .fma(FloatVector.fromArray(FLOAT, b, bOffset + i + LANES), a1);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    @Override
    public void add(float[] x, int xOffset, float[] y, int yOffset, int n) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector.fromArray(FLOAT, y, yOffset + i)
                    .add(FloatVector.fromArray(FLOAT, x, xOffset + i))
                    .intoArray(y, yOffset + i);
        }
        for (; i < n; i++) {
            y[yOffset + i] += x[xOffset + i];
        }
    }

    @Override
    public void gatedActivation(
            float[] gate,
            int gateOffset,
            float[] up,
            int upOffset,
            float[] out,
            int outOffset,
            int n,
            boolean gelu) {
        int i = 0;
        if (gelu) {
            for (; i + LANES <= n; i += LANES) {
                FloatVector g = FloatVector.fromArray(FLOAT, gate, gateOffset + i);
                FloatVector inner =
                        g.mul(g).mul(g).mul(0.044715f).add(g).mul(ScalarDecodeMath.GELU_C);
                g.mul(0.5f)
                        .mul(inner.lanewise(VectorOperators.TANH).add(1f))
                        .mul(FloatVector.fromArray(FLOAT, up, upOffset + i))
                        .intoArray(out, outOffset + i);
            }
        } else {
            for (; i + LANES <= n; i += LANES) {
                FloatVector g = FloatVector.fromArray(FLOAT, gate, gateOffset + i);
                g.div(g.neg().lanewise(VectorOperators.EXP).add(1f))
                        .mul(FloatVector.fromArray(FLOAT, up, upOffset + i))
                        .intoArray(out, outOffset + i);
            }
        }
        if (i < n) {
            new ScalarDecodeMath()
                    .gatedActivation(
                            gate,
                            gateOffset + i,
                            up,
                            upOffset + i,
                            out,
                            outOffset + i,
                            n - i,
                            gelu);
        }
    }

    @Override
    public void scale(float[] x, int offset, int n, float factor) {
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector.fromArray(FLOAT, x, offset + i).mul(factor).intoArray(x, offset + i);
        }
        for (; i < n; i++) {
            x[offset + i] *= factor;
        }
    }

    @Override
    public void scores(
            float[] q,
            int qOffset,
            float[] keys,
            int kOffset,
            int capacity,
            int headDim,
            int t0,
            int t1,
            float scale,
            float[] out) {
        int t = t0;
        for (; t + LANES <= t1; t += LANES) {
            FloatVector acc = FloatVector.zero(FLOAT);
            for (int d = 0; d < headDim; d++) {
                acc =
                        FloatVector.fromArray(FLOAT, keys, kOffset + d * capacity + t)
                                .fma(FloatVector.broadcast(FLOAT, q[qOffset + d]), acc);
            }
            acc.mul(scale).intoArray(out, t - t0);
        }
        for (; t < t1; t++) {
            float dot = 0;
            for (int d = 0; d < headDim; d++) {
                dot += q[qOffset + d] * keys[kOffset + d * capacity + t];
            }
            out[t - t0] = dot * scale;
        }
    }

    @Override
    public void softmax(float[] scores, int offset, int n, float softCap) {
        int end = offset + n;
        int i;
        if (softCap > 0) {
            i = offset;
            for (; i + LANES <= end; i += LANES) {
                FloatVector.fromArray(FLOAT, scores, i)
                        .div(softCap)
                        .lanewise(VectorOperators.TANH)
                        .mul(softCap)
                        .intoArray(scores, i);
            }
            for (; i < end; i++) {
                scores[i] = softCap * (float) Math.tanh(scores[i] / softCap);
            }
        }
        float max = Float.NEGATIVE_INFINITY;
        i = offset;
        if (n >= LANES) {
            FloatVector m = FloatVector.broadcast(FLOAT, Float.NEGATIVE_INFINITY);
            for (; i + LANES <= end; i += LANES) {
                m = m.max(FloatVector.fromArray(FLOAT, scores, i));
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < end; i++) {
            max = Math.max(max, scores[i]);
        }
        FloatVector shift = FloatVector.broadcast(FLOAT, max);
        FloatVector sums = FloatVector.zero(FLOAT);
        i = offset;
        for (; i + LANES <= end; i += LANES) {
            FloatVector e =
                    FloatVector.fromArray(FLOAT, scores, i)
                            .sub(shift)
                            .lanewise(VectorOperators.EXP);
            e.intoArray(scores, i);
            sums = sums.add(e);
        }
        double sum = sums.reduceLanes(VectorOperators.ADD);
        for (; i < end; i++) {
            float e = (float) Math.exp(scores[i] - max);
            scores[i] = e;
            sum += e;
        }
        scale(scores, offset, n, (float) (1 / sum));
    }

    @Override
    public void weightedSum(
            float[] p,
            float[] values,
            int vOffset,
            int headDim,
            int t0,
            int t1,
            float[] out,
            int outOffset) {
        if (headDim % LANES != 0) {
            new ScalarDecodeMath().weightedSum(p, values, vOffset, headDim, t0, t1, out, outOffset);
            return;
        }
        for (int d = 0; d < headDim; d += LANES) {
            FloatVector acc = FloatVector.fromArray(FLOAT, out, outOffset + d);
            for (int t = t0; t < t1; t++) {
                acc =
                        FloatVector.fromArray(FLOAT, values, vOffset + t * headDim + d)
                                .fma(FloatVector.broadcast(FLOAT, p[t - t0]), acc);
            }
            acc.intoArray(out, outOffset + d);
        }
    }

    /**
     * Four query heads at a time: each key and value vector is loaded once for the four, which cuts
     * the reads of the cache by four under grouped-query attention.
     */
    @Override
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
        int g = 0;
        if (headDim % LANES == 0) {
            for (; g + 4 <= groups; g += 4) {
                int q0 = qOffset + g * headDim;
                fourScores(q, q0, headDim, keys, kOffset, capacity, visible, scale, scores);
                for (int i = 0; i < 4; i++) {
                    softmax(scores, i * visible, visible, softCap);
                }
                fourWeightedSums(
                        scores, visible, values, vOffset, headDim, out, outOffset + g * headDim);
            }
        }
        if (g < groups) {
            super.attendGroup(
                    q,
                    qOffset + g * headDim,
                    groups - g,
                    headDim,
                    keys,
                    kOffset,
                    values,
                    vOffset,
                    capacity,
                    visible,
                    scale,
                    softCap,
                    scores,
                    out,
                    outOffset + g * headDim);
        }
    }

    /** Scores of four consecutive query heads, {@code out[i * visible + t]}. */
    private static void fourScores(
            float[] q,
            int q0,
            int headDim,
            float[] keys,
            int kOffset,
            int capacity,
            int visible,
            float scale,
            float[] out) {
        int t = 0;
        for (; t + LANES <= visible; t += LANES) {
            FloatVector a = FloatVector.zero(FLOAT);
            FloatVector b = FloatVector.zero(FLOAT);
            FloatVector c = FloatVector.zero(FLOAT);
            FloatVector d = FloatVector.zero(FLOAT);
            for (int k = 0; k < headDim; k++) {
                FloatVector key = FloatVector.fromArray(FLOAT, keys, kOffset + k * capacity + t);
                a = key.fma(FloatVector.broadcast(FLOAT, q[q0 + k]), a);
                b = key.fma(FloatVector.broadcast(FLOAT, q[q0 + headDim + k]), b);
                c = key.fma(FloatVector.broadcast(FLOAT, q[q0 + 2 * headDim + k]), c);
                d = key.fma(FloatVector.broadcast(FLOAT, q[q0 + 3 * headDim + k]), d);
            }
            a.mul(scale).intoArray(out, t);
            b.mul(scale).intoArray(out, visible + t);
            c.mul(scale).intoArray(out, 2 * visible + t);
            d.mul(scale).intoArray(out, 3 * visible + t);
        }
        for (; t < visible; t++) {
            for (int i = 0; i < 4; i++) {
                float dot = 0;
                for (int k = 0; k < headDim; k++) {
                    dot += q[q0 + i * headDim + k] * keys[kOffset + k * capacity + t];
                }
                out[i * visible + t] = dot * scale;
            }
        }
    }

    /** Weighted sums of the values for four query heads' probabilities, into four outputs. */
    private static void fourWeightedSums(
            float[] p, int visible, float[] values, int vOffset, int headDim, float[] out, int o) {
        for (int k = 0; k < headDim; k += LANES) {
            FloatVector a = FloatVector.zero(FLOAT);
            FloatVector b = FloatVector.zero(FLOAT);
            FloatVector c = FloatVector.zero(FLOAT);
            FloatVector d = FloatVector.zero(FLOAT);
            for (int t = 0; t < visible; t++) {
                FloatVector v = FloatVector.fromArray(FLOAT, values, vOffset + t * headDim + k);
                a = v.fma(FloatVector.broadcast(FLOAT, p[t]), a);
                b = v.fma(FloatVector.broadcast(FLOAT, p[visible + t]), b);
                c = v.fma(FloatVector.broadcast(FLOAT, p[2 * visible + t]), c);
                d = v.fma(FloatVector.broadcast(FLOAT, p[3 * visible + t]), d);
            }
            a.intoArray(out, o + k);
            b.intoArray(out, o + headDim + k);
            c.intoArray(out, o + 2 * headDim + k);
            d.intoArray(out, o + 3 * headDim + k);
        }
    }
}
