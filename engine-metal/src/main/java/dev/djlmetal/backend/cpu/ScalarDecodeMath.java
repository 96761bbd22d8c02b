package dev.djlmetal.backend.cpu;

/**
 * {@link DecodeMath} in plain Java loops: the reference, and the fallback without the Vector API.
 */
final class ScalarDecodeMath extends DecodeMath {

    /** sqrt(2 / pi), the constant of GELU's tanh approximation. */
    static final float GELU_C = 0.7978845608028654f;

    @Override
    public String name() {
        return "scalar";
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
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOffset + i];
            sum += v * v;
        }
        float inv = (float) (1 / Math.sqrt(sum / n + eps));
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = x[xOffset + i] * inv * (weightOffset + weight[i]);
        }
    }

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        float s0 = 0;
        float s1 = 0;
        int i = 0;
        for (; i + 2 <= n; i += 2) {
            s0 += a[aOffset + i] * b[bOffset + i];
            s1 += a[aOffset + i + 1] * b[bOffset + i + 1];
        }
        for (; i < n; i++) {
            s0 += a[aOffset + i] * b[bOffset + i];
        }
        return s0 + s1;
    }

    @Override
    public void add(float[] x, int xOffset, float[] y, int yOffset, int n) {
        for (int i = 0; i < n; i++) {
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
        for (int i = 0; i < n; i++) {
            float g = gate[gateOffset + i];
            float a;
            if (gelu) {
                a = 0.5f * g * (1 + (float) Math.tanh(GELU_C * (g + 0.044715f * g * g * g)));
            } else {
                a = g / (1 + (float) Math.exp(-g));
            }
            out[outOffset + i] = a * up[upOffset + i];
        }
    }

    @Override
    public void scale(float[] x, int offset, int n, float factor) {
        for (int i = 0; i < n; i++) {
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
        for (int t = t0; t < t1; t++) {
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
        if (softCap > 0) {
            for (int i = offset; i < end; i++) {
                scores[i] = softCap * (float) Math.tanh(scores[i] / softCap);
            }
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = offset; i < end; i++) {
            max = Math.max(max, scores[i]);
        }
        double sum = 0;
        for (int i = offset; i < end; i++) {
            float e = (float) Math.exp(scores[i] - max);
            scores[i] = e;
            sum += e;
        }
        float inv = (float) (1 / sum);
        for (int i = offset; i < end; i++) {
            scores[i] *= inv;
        }
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
        for (int t = t0; t < t1; t++) {
            float w = p[t - t0];
            int row = vOffset + t * headDim;
            for (int d = 0; d < headDim; d++) {
                out[outOffset + d] += w * values[row + d];
            }
        }
    }
}
