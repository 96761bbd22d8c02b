package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;

/**
 * An embedding table used both ways: looking up token ids and, for tied weights, projecting hidden
 * states onto the vocabulary (MLX's {@code as_linear}).
 *
 * <p>Blocks that hold an embedding for a tied output projection should declare the field with this
 * type, so that {@link dev.djlmetal.quant.MetalQuantizer} can swap a {@link
 * MetalQuantizedEmbedding} in.
 */
public interface TokenEmbedding extends Block {

    /**
     * Looks up token ids.
     *
     * @param ids INT32 or INT64 token ids of any shape {@code [...]}
     * @return the embeddings {@code [..., D]}
     */
    NDArray embed(NDArray ids);

    /**
     * Projects hidden states onto the vocabulary with the transposed table.
     *
     * @param x hidden states {@code [..., D]}
     * @return logits {@code [..., V]}
     */
    NDArray projectTransposed(NDArray x);
}
