package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One pre-norm decoder layer: {@code h = x + self_attn(input_layernorm(x))}, then {@code out = h +
 * mlp(post_attention_layernorm(h))}.
 *
 * <p>Children: {@code input_layernorm}, {@code self_attn}, {@code post_attention_layernorm}, {@code
 * mlp}. Input and output NDLists are those of {@link Attention}: {@code [hidden, cos, sin]} plus an
 * optional past {@code [key, value]} and an optional array named {@value #ATTENTION_BIAS}; output
 * {@code [hidden, key, value]}.
 */
public class DecoderLayer extends AbstractBlock {

    /** The name of the additive attention bias array (causal mask plus padding mask). */
    public static final String ATTENTION_BIAS = "attention_bias";

    private static final byte VERSION = 1;

    private Block inputLayernorm;
    private Block selfAttn;
    private Block postAttentionLayernorm;
    private Block mlp;

    /**
     * Creates one decoder layer.
     *
     * @param config the model config
     */
    public DecoderLayer(DecoderConfig config) {
        super(VERSION);
        int hidden = config.getHiddenSize();
        double eps = config.getRmsNormEps();
        inputLayernorm = addChildBlock("input_layernorm", new RmsNorm(hidden, eps));
        selfAttn = addChildBlock("self_attn", new Attention(config));
        postAttentionLayernorm =
                addChildBlock("post_attention_layernorm", new RmsNorm(hidden, eps));
        mlp = addChildBlock("mlp", new GatedMlp(config));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray normed = inputLayernorm.forward(ps, new NDList(x), training).head();
        NDList attnInputs = new NDList(inputs.size());
        attnInputs.add(normed);
        attnInputs.addAll(inputs.subNDList(1));
        NDList attn = selfAttn.forward(ps, attnInputs, training);
        NDArray h = x.add(attn.get(0));
        NDArray normed2 = postAttentionLayernorm.forward(ps, new NDList(h), training).head();
        NDArray out = h.add(mlp.forward(ps, new NDList(normed2), training).head());
        return new NDList(out, attn.get(1), attn.get(2));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        inputLayernorm.initialize(manager, dataType, in);
        selfAttn.initialize(manager, dataType, inputShapes);
        postAttentionLayernorm.initialize(manager, dataType, in);
        mlp.initialize(manager, dataType, in);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return selfAttn.getOutputShapes(inputShapes);
    }
}
