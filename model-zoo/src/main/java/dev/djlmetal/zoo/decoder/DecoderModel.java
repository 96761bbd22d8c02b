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
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Map;

/**
 * The decoder stack without the output projection: token embedding (multiplied by {@code
 * sqrt(hidden_size)} for Gemma), decoder layers and the final norm. Children: {@code embed_tokens},
 * {@code layers}, {@code norm}.
 *
 * <p>It computes the positions, the rotary tables of each kind of layer (Gemma 3's sliding layers
 * have their own base frequency) and the additive attention bias of each kind: causal, plus the
 * window for sliding-attention layers (a query at position {@code i} sees keys {@code j} with
 * {@code i - window < j <= i}, counted in cache slots as transformers does), plus the padding of
 * the attention mask. The window is applied across the key/value cache too: cached keys older than
 * the window stay in the cache (its positions stay exact) but are masked.
 *
 * <p>Input and output NDLists follow {@link CausalLM}, except that the first output is the final
 * hidden state {@code [B, S, hidden]} instead of the logits.
 */
public class DecoderModel extends AbstractBlock {

    /** The value added to the attention scores of masked positions. */
    static final float MASKED = -1e9f;

    private static final byte VERSION = 1;

    private final DecoderConfig config;
    private final Map<AttentionType, RotaryEmbedding> rotary = new EnumMap<>(AttentionType.class);

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
        for (AttentionType type : new LinkedHashSet<>(config.getLayerTypes())) {
            RopeScaling rope = config.getRope(type);
            RotaryEmbedding same = null;
            for (Map.Entry<AttentionType, RotaryEmbedding> e : rotary.entrySet()) {
                if (config.getRope(e.getKey()).equals(rope)) {
                    same = e.getValue();
                }
            }
            rotary.put(
                    type, same != null ? same : new RotaryEmbedding(rope, config.getRotaryDim()));
        }
        embedTokens =
                addChildBlock(
                        "embed_tokens",
                        new DecoderEmbedding(config.getVocabSize(), config.getHiddenSize()));
        layers = addChildBlock("layers", new DecoderLayerStack(config));
        norm =
                addChildBlock(
                        "norm",
                        new RmsNorm(
                                config.getHiddenSize(),
                                config.getRmsNormEps(),
                                config.isNormOffset()));
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
     * Returns the rotary embedding of a kind of layer.
     *
     * @param type the attention type
     * @return the rotary embedding, or null when no layer has this type
     */
    public RotaryEmbedding getRotary(AttentionType type) {
        return rotary.get(type);
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

        NDArray hidden = embedTokens.forward(ps, new NDList(ids), training).head();
        if (config.isScaleEmbeddings()) {
            // transformers multiplies by sqrt(hidden_size) rounded to the hidden states' type
            hidden = hidden.mul((float) Math.sqrt(config.getHiddenSize()));
        }
        NDList layerIn = new NDList(hidden);
        layerIn.addAll(in.getPast());
        Map<RotaryEmbedding, NDList> tables = new IdentityHashMap<>();
        for (Map.Entry<AttentionType, RotaryEmbedding> e : rotary.entrySet()) {
            AttentionType type = e.getKey();
            NDList cosSin = tables.get(e.getValue());
            if (cosSin == null) {
                cosSin = e.getValue().cosSin(manager, positions);
                tables.put(e.getValue(), cosSin);
            } else {
                // the same tables for another attention type: views under their own names
                cosSin = new NDList(view(cosSin.get(0)), view(cosSin.get(1)));
            }
            cosSin.get(0).setName(DecoderLayerStack.cosName(type));
            cosSin.get(1).setName(DecoderLayerStack.sinName(type));
            layerIn.addAll(cosSin);
            NDArray bias = attentionBias(manager, past, seq, mask, type);
            if (bias != null) {
                bias.setName(DecoderLayerStack.biasName(type));
                layerIn.add(bias);
            }
        }
        NDList out = layers.forward(ps, layerIn, training);
        out.set(0, norm.forward(ps, new NDList(out.head()), training).head());
        return out;
    }

    private static NDArray view(NDArray array) {
        return array.reshape(array.getShape());
    }

    private NDArray attentionBias(
            NDManager manager, long past, long seq, NDArray mask, AttentionType type) {
        long total = past + seq;
        int window = config.getSlidingWindow();
        boolean sliding = type == AttentionType.SLIDING && total > window;
        NDArray bias = null;
        if (seq > 1 || sliding) {
            NDArray keys = manager.arange(0, total, 1, DataType.INT64).reshape(1, total);
            NDArray queries = manager.arange(past, total, 1, DataType.INT64).reshape(seq, 1);
            NDArray masked = keys.gt(queries);
            if (sliding) {
                masked = masked.logicalOr(queries.sub(keys).gte(window));
            }
            bias = masked.toType(DataType.FLOAT32, false).mul(MASKED);
            bias = bias.reshape(1, 1, seq, total);
        }
        if (mask != null) {
            NDArray padding = mask.toType(DataType.FLOAT32, false).neg().add(1).mul(MASKED);
            padding = padding.reshape(mask.getShape().get(0), 1, 1, total);
            bias = bias == null ? padding : bias.add(padding);
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
        Shape rope = new Shape(1, 1, ids.get(1), config.getRotaryDim());
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
