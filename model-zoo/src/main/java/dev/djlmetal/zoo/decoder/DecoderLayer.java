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
 * mlp(post_attention_layernorm(h))}. With sandwich norms (Gemma 2 and 3) the outputs are normalized
 * too: {@code h = x + post_attention_layernorm(self_attn(input_layernorm(x)))}, then {@code out = h
 * + post_feedforward_layernorm(mlp(pre_feedforward_layernorm(h)))}.
 *
 * <p>Children: {@code input_layernorm}, {@code self_attn}, {@code post_attention_layernorm}, {@code
 * pre_feedforward_layernorm} and {@code post_feedforward_layernorm} (sandwich norms only), and the
 * feed-forward block: {@code mlp} (a {@link GatedMlp}) or, in a sparse layer of a
 * mixture-of-experts model, a {@link SparseMoe} named after the family ({@code mlp}, {@code
 * block_sparse_moe}). Input and output NDLists are those of {@link Attention}: {@code [hidden, cos,
 * sin]} plus an optional past {@code [key, value]} and an optional attention bias ({@link
 * #isAttentionBias(NDArray)}); output {@code [hidden, key, value]}.
 */
public class DecoderLayer extends AbstractBlock {

    /** The name of the additive attention bias array (causal mask plus padding mask). */
    public static final String ATTENTION_BIAS = "attention_bias";

    private static final byte VERSION = 1;

    private final AttentionType attentionType;

    private Block inputLayernorm;
    private Block selfAttn;
    private Block postAttentionLayernorm;
    private Block preFeedforwardLayernorm;
    private Block feedForward;
    private Block postFeedforwardLayernorm;

    /**
     * Creates one dense decoder layer of full attention.
     *
     * @param config the model config
     */
    public DecoderLayer(DecoderConfig config) {
        this(config, 0);
    }

    /**
     * Creates decoder layer {@code layer} of a model: its attention type and, for
     * mixture-of-experts models, whether its feed-forward block is sparse come from the config.
     *
     * @param config the model config
     * @param layer the layer index
     */
    public DecoderLayer(DecoderConfig config, int layer) {
        super(VERSION);
        attentionType = config.getLayerType(layer);
        int hidden = config.getHiddenSize();
        double eps = config.getRmsNormEps();
        boolean offset = config.isNormOffset();
        inputLayernorm = addChildBlock("input_layernorm", new RmsNorm(hidden, eps, offset));
        selfAttn = addChildBlock("self_attn", new Attention(config));
        postAttentionLayernorm =
                addChildBlock("post_attention_layernorm", new RmsNorm(hidden, eps, offset));
        if (config.isSandwichNorms()) {
            preFeedforwardLayernorm =
                    addChildBlock("pre_feedforward_layernorm", new RmsNorm(hidden, eps, offset));
        }
        MoeConfig moe = config.getMoe();
        if (moe != null && moe.isSparse(layer)) {
            feedForward = addChildBlock(moe.getBlockName(), new SparseMoe(config));
        } else {
            feedForward = addChildBlock("mlp", new GatedMlp(config));
        }
        if (config.isSandwichNorms()) {
            postFeedforwardLayernorm =
                    addChildBlock("post_feedforward_layernorm", new RmsNorm(hidden, eps, offset));
        }
    }

    /**
     * Returns whether an array of a layer's input is the additive attention bias: its name is
     * {@value #ATTENTION_BIAS} or starts with it (the biases of the attention types are named
     * {@code attention_bias.<type>}).
     *
     * @param array an input array
     * @return true for the attention bias
     */
    public static boolean isAttentionBias(NDArray array) {
        String name = array.getName();
        return name != null && name.startsWith(ATTENTION_BIAS);
    }

    /**
     * Returns what this layer attends to.
     *
     * @return the attention type
     */
    public AttentionType getAttentionType() {
        return attentionType;
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
        NDArray out;
        if (preFeedforwardLayernorm != null) {
            NDArray a =
                    postAttentionLayernorm.forward(ps, new NDList(attn.get(0)), training).head();
            NDArray h = x.add(a);
            NDArray m = preFeedforwardLayernorm.forward(ps, new NDList(h), training).head();
            m = feedForward.forward(ps, new NDList(m), training).head();
            m = postFeedforwardLayernorm.forward(ps, new NDList(m), training).head();
            out = h.add(m);
        } else {
            NDArray h = x.add(attn.get(0));
            NDArray m = postAttentionLayernorm.forward(ps, new NDList(h), training).head();
            out = h.add(feedForward.forward(ps, new NDList(m), training).head());
        }
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
        if (preFeedforwardLayernorm != null) {
            preFeedforwardLayernorm.initialize(manager, dataType, in);
            postFeedforwardLayernorm.initialize(manager, dataType, in);
        }
        feedForward.initialize(manager, dataType, in);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return selfAttn.getOutputShapes(inputShapes);
    }
}
