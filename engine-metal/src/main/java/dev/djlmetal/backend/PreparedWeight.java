package dev.djlmetal.backend;

import ai.djl.ndarray.NDArray;

/**
 * A quantized weight made ready by a {@link QuantizedMatmul} backend. Thread-safe: several requests
 * may call {@link #apply(NDArray)} at once.
 */
public interface PreparedWeight extends AutoCloseable {

    /**
     * Computes {@code x @ dequant(W)^T} with float32 accumulation.
     *
     * @param x activations {@code [..., K]} (FLOAT32 or FLOAT16)
     * @return {@code [..., N]} in the data type of {@code x}, attached to the manager of {@code x}
     */
    NDArray apply(NDArray x);

    /**
     * Returns the memory this handle holds beyond the quantized tensor it was prepared from
     * (caches, device copies), in bytes.
     *
     * @return extra resident bytes, 0 when none
     */
    long extraResidentBytes();

    /** Releases what the backend holds for this weight; the quantized tensor itself stays open. */
    @Override
    void close();
}
