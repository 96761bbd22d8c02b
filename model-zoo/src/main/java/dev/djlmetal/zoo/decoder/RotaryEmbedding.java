package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embedding in the rotate-half layout used by Hugging Face Llama checkpoints: the
 * first and second halves of each head are the two coordinates of the rotated pairs.
 *
 * <p>{@code rope(x, p) = x * cos(p * f) + rotateHalf(x) * sin(p * f)} with {@code rotateHalf([x1,
 * x2]) = [-x2, x1]} and the inverse frequencies {@code f} of {@link
 * RopeScaling#inverseFrequencies(int)}, repeated for both halves. This class holds no arrays; it is
 * immutable and thread-safe.
 */
public final class RotaryEmbedding {

    private final float[] inverseFrequencies;

    /**
     * Creates the rotary embedding of one model.
     *
     * @param rope the rotary settings
     * @param headDim the head width (even)
     */
    public RotaryEmbedding(RopeScaling rope, int headDim) {
        double[] inv = rope.inverseFrequencies(headDim);
        inverseFrequencies = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            inverseFrequencies[i] = (float) inv[i];
        }
    }

    /**
     * Returns a copy of the inverse frequencies.
     *
     * @return {@code headDim / 2} values
     */
    public float[] getInverseFrequencies() {
        return inverseFrequencies.clone();
    }

    /**
     * Computes the cosines and sines for a block of positions.
     *
     * @param manager the manager of the result
     * @param positions the positions {@code [B, S]} (any numeric type; B may be 1 to broadcast)
     * @return {@code [cos, sin]}, each FLOAT32 {@code [B, 1, S, headDim]}
     */
    public NDList cosSin(NDManager manager, NDArray positions) {
        NDArray inv = manager.create(inverseFrequencies);
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv);
        NDArray emb = freqs.concat(freqs, 2).expandDims(1);
        return new NDList(emb.cos(), emb.sin());
    }

    /**
     * Rotates queries or keys.
     *
     * @param x the heads {@code [B, heads, S, headDim]}
     * @param cos the cosines from {@link #cosSin(NDManager, NDArray)}
     * @param sin the sines from {@link #cosSin(NDManager, NDArray)}
     * @return the rotated heads, same shape
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        int last = x.getShape().dimension() - 1;
        NDList halves = x.split(2, last);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), last);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
