package dev.djlmetal.backend;

import dev.djlmetal.quant.QuantizedTensor;

/**
 * A backend that computes {@code x @ dequant(W)^T} for affine group-quantized weights ({@code
 * affine_qmm_t}).
 *
 * <p>One instance serves one model; {@link #prepare(QuantizedTensor)} is called once per quantized
 * layer and may move or convert the weights into the backend's preferred form (upload to a GPU
 * buffer, copy off-heap).
 */
public interface QuantizedMatmul {

    /**
     * Returns which backend this is.
     *
     * @return the kind
     */
    BackendKind kind();

    /**
     * Prepares one quantized weight for repeated products. The returned handle must be safe to use
     * from several threads at once.
     *
     * @param weight the quantized weight {@code [N, K]}
     * @return a handle that computes products with this weight
     */
    PreparedWeight prepare(QuantizedTensor weight);
}
