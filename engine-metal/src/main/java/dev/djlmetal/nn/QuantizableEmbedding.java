package dev.djlmetal.nn;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

/**
 * A float embedding block that {@link dev.djlmetal.quant.MetalQuantizer} may replace with a {@link
 * MetalQuantizedEmbedding}.
 *
 * <p>The block must map token ids {@code [...]} to {@code [..., D]} by gathering rows of its table,
 * so that the quantized block can take its place in the parent's children. Blocks that also project
 * hidden states onto the vocabulary with the same table (tied weights) should reach it through a
 * field declared as {@link TokenEmbedding}, which the quantized block implements too.
 */
public interface QuantizableEmbedding extends Block {

    /**
     * Returns the embedding table.
     *
     * @return the parameter holding the float table {@code [V, D]}
     */
    Parameter getEmbeddingWeight();
}
