package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embedding in the rotate-half layout used by Hugging Face checkpoints: the first
 * and second halves of the rotated part of each head are the two coordinates of the rotated pairs.
 *
 * <p>{@code rope(x, p) = x * cos(p * f) + rotateHalf(x) * sin(p * f)} with {@code rotateHalf([x1,
 * x2]) = [-x2, x1]} and the inverse frequencies {@code f} of {@link
 * RopeScaling#inverseFrequencies(int)}, repeated for both halves. With a partial rotary factor only
 * the first {@code rotaryDim} dimensions of each head are rotated (Phi-3); the others pass through.
 * LongRoPE's cosines and sines are multiplied by its attention factor, with the short or long
 * frequencies chosen from the largest position of the forward pass. This class holds no arrays; it
 * is immutable and thread-safe.
 */
public final class RotaryEmbedding {

    private final RopeScaling rope;
    private final float[] inverseFrequencies;
    private final float[] longInverseFrequencies;
    private final float attentionFactor;

    /**
     * Creates the rotary embedding of one kind of layer.
     *
     * @param rope the rotary settings
     * @param rotaryDim the rotated width of each head (even)
     */
    public RotaryEmbedding(RopeScaling rope, int rotaryDim) {
        this.rope = rope;
        inverseFrequencies = toFloats(rope.inverseFrequencies(rotaryDim));
        longInverseFrequencies =
                "longrope".equals(rope.getType())
                        ? toFloats(rope.longInverseFrequencies(rotaryDim))
                        : null;
        attentionFactor = (float) rope.getAttentionFactor();
    }

    private static float[] toFloats(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    /**
     * Returns a copy of the inverse frequencies (the short ones for LongRoPE).
     *
     * @return {@code rotaryDim / 2} values
     */
    public float[] getInverseFrequencies() {
        return inverseFrequencies.clone();
    }

    /**
     * Computes the cosines and sines for a block of positions.
     *
     * @param manager the manager of the result
     * @param positions the positions {@code [B, S]} (any numeric type; B may be 1 to broadcast)
     * @return {@code [cos, sin]}, each FLOAT32 {@code [B, 1, S, rotaryDim]}
     */
    public NDList cosSin(NDManager manager, NDArray positions) {
        float[] frequencies = inverseFrequencies;
        if (longInverseFrequencies != null) {
            long max = positions.max().toType(DataType.INT64, false).getLong();
            if (rope.usesLongFactors(max)) {
                frequencies = longInverseFrequencies;
            }
        }
        NDArray inv = manager.create(frequencies);
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv);
        NDArray emb = freqs.concat(freqs, 2).expandDims(1);
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        if (attentionFactor != 1f) {
            cos = cos.mul(attentionFactor);
            sin = sin.mul(attentionFactor);
        }
        return new NDList(cos, sin);
    }

    /**
     * Rotates queries or keys: the first {@code rotaryDim} dimensions (the width of {@code cos}) of
     * each head; the rest passes through.
     *
     * @param x the heads {@code [B, heads, S, headDim]}
     * @param cos the cosines from {@link #cosSin(NDManager, NDArray)}
     * @param sin the sines from {@link #cosSin(NDManager, NDArray)}
     * @return the rotated heads, same shape
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        int last = x.getShape().dimension() - 1;
        long headDim = x.getShape().get(last);
        long rotaryDim = cos.getShape().get(cos.getShape().dimension() - 1);
        if (rotaryDim == headDim) {
            return rotate(x, cos, sin, last);
        }
        NDList parts = x.split(new long[] {rotaryDim}, last);
        return rotate(parts.get(0), cos, sin, last).concat(parts.get(1), last);
    }

    private static NDArray rotate(NDArray x, NDArray cos, NDArray sin, int last) {
        NDList halves = x.split(2, last);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), last);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
