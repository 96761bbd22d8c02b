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
 * The decoder stack without the output projection: token embedding, decoder layers and the final
 * norm. Children: {@code embed_tokens}, {@code layers}, {@code norm}.
 *
 * <p>Input and output NDLists follow {@link CausalLM}, except that the first output is the final
 * hidden state {@code [B, S, hidden]} instead of the logits.
 */
public class DecoderModel extends AbstractBlock {

    /** The value added to the attention scores of masked positions. */
    static final float MASKED = -1e9f;

    private static final byte VERSION = 1;

    private final DecoderConfig config;
    private final RotaryEmbedding rotary;

    private Block embedTokens;
    private Block layers;
    private Block norm;

    /**
     * Creates the decoder stack.
     *
     * @param config the model config
     */
    public DecoderModel(DecoderConfig config) {
        super(VERSION);
        this.config = config;
        rotary = new RotaryEmbedding(config.getRope(), config.getHeadDim());
        embedTokens =
                addChildBlock(
                        "embed_tokens",
                        new DecoderEmbedding(config.getVocabSize(), config.getHiddenSize()));
        layers = addChildBlock("layers", new DecoderLayerStack(config));
        norm = addChildBlock("norm", new RmsNorm(config.getHiddenSize(), config.getRmsNormEps()));
    }

    /**
     * Returns the token embedding block (a {@link DecoderEmbedding}, or its quantized replacement).
     *
     * @return the current {@code embed_tokens} child
     */
    public Block getEmbedTokens() {
        return embedTokens;
    }

    /**
     * Returns the rotary embedding.
     *
     * @return the rotary embedding of this model
     */
    public RotaryEmbedding getRotary() {
        return rotary;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        ForwardInputs in = ForwardInputs.parse(inputs, config.getNumHiddenLayers());
        NDArray ids = in.getInputIds();
        NDManager manager = ids.getManager();
        long seq = ids.getShape().get(1);
        long past = in.getPastLength();
        NDArray mask = in.getAttentionMask();

        NDArray positions;
        if (mask == null) {
            positions = manager.arange(past, past + seq, 1, DataType.INT64).reshape(1, seq);
        } else {
            positions = mask.toType(DataType.INT64, false).cumSum(1).sub(1).maximum(0);
            positions = positions.get(":, {}:", past);
        }
        NDList cosSin = rotary.cosSin(manager, positions);

        NDArray hidden = embedTokens.forward(ps, new NDList(ids), training).head();
        NDList layerIn = new NDList(hidden, cosSin.get(0), cosSin.get(1));
        layerIn.addAll(in.getPast());
        NDArray bias = attentionBias(manager, past, seq, mask);
        if (bias != null) {
            layerIn.add(bias);
        }
        NDList out = layers.forward(ps, layerIn, training);
        out.set(0, norm.forward(ps, new NDList(out.head()), training).head());
        return out;
    }

    private static NDArray attentionBias(NDManager manager, long past, long seq, NDArray mask) {
        long total = past + seq;
        NDArray bias = null;
        if (seq > 1) {
            NDArray keys = manager.arange(0, total, 1, DataType.INT64).reshape(1, total);
            NDArray queries = manager.arange(past, total, 1, DataType.INT64).reshape(seq, 1);
            bias = keys.gt(queries).toType(DataType.FLOAT32, false).mul(MASKED);
            bias = bias.reshape(1, 1, seq, total);
        }
        if (mask != null) {
            NDArray padding = mask.toType(DataType.FLOAT32, false).neg().add(1).mul(MASKED);
            padding = padding.reshape(mask.getShape().get(0), 1, 1, total);
            bias = bias == null ? padding : bias.add(padding);
        }
        if (bias != null) {
            bias.setName(DecoderLayer.ATTENTION_BIAS);
        }
        return bias;
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        Shape hidden = ids.add(config.getHiddenSize());
        embedTokens.initialize(manager, dataType, ids);
        int headDim = config.getHeadDim();
        Shape rope = new Shape(1, 1, ids.get(1), headDim);
        layers.initialize(manager, dataType, hidden, rope, rope);
        norm.initialize(manager, dataType, hidden);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        Shape hidden = ids.add(config.getHiddenSize());
        long past = inputShapes.length > 1 ? inputShapes[1].get(2) : 0;
        Shape kv =
                new Shape(
                        ids.get(0),
                        config.getNumKeyValueHeads(),
                        past + ids.get(1),
                        config.getHeadDim());
        Shape[] out = new Shape[1 + 2 * config.getNumHiddenLayers()];
        out[0] = hidden;
        for (int i = 1; i < out.length; i++) {
            out[i] = kv;
        }
        return out;
    }
}
