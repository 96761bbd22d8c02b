package dev.djlmetal.backend.cpu;

/**
 * A linear product {@code out = x W^T} over Java arrays, for decoders that keep activations in Java
 * memory between products (see {@link DecodeMath}): the cpu backend's quantized weights ({@link
 * CpuPreparedWeight}) and float weights ({@link FloatWeightProduct}). Thread-safe.
 */
public interface ArrayProduct {

    /**
     * Returns the number of input features K.
     *
     * @return K
     */
    int inFeatures();

    /**
     * Returns the number of output features N.
     *
     * @return N
     */
    int outFeatures();

    /**
     * Computes {@code out[i, n] = sum_k x[i, k] W[n, k]} for {@code m} rows.
     *
     * @param x {@code m * K} activations, row-major (the array may be longer)
     * @param m the number of rows
     * @param out receives {@code m * N} values, row-major (the array may be longer)
     */
    void multiply(float[] x, int m, float[] out);
}
