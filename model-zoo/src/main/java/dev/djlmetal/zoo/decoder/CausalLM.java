package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.djlmetal.nn.TokenEmbedding;

/**
 * A decoder-only causal language model written with DJL Blocks, for every family of the model zoo:
 * {@code model} (a {@link DecoderModel}) followed by the output projection, either {@code lm_head}
 * (a {@link ai.djl.nn.core.Linear}) or, with tied word embeddings, the embedding table itself, and
 * Gemma 2's final logit soft-capping.
 *
 * <p>With tied embeddings the output projection is {@code model.embed_tokens} used transposed; when
 * a quantizer has replaced it by a quantized {@link TokenEmbedding}, its {@link
 * TokenEmbedding#projectTransposed(NDArray)} is used.
 *
 * <p>Block paths follow the Hugging Face names, for example {@code model.embed_tokens}, {@code
 * model.layers.3.self_attn.q_proj}, {@code model.layers.3.mlp.down_proj}, {@code model.norm} and
 * {@code lm_head} (DJL's numeric child-name prefixes removed). Every projection is an {@link
 * ai.djl.nn.core.Linear} held in a field typed {@link Block}, so a quantizer can replace it.
 *
 * <h2>Forward contract</h2>
 *
 * <p>The block is stateless: it holds no per-request state, and one instance can serve several
 * requests at once. The key/value cache travels with the inputs and outputs.
 *
 * <ul>
 *   <li>Input NDList: {@code [input_ids]}, INT64 {@code [B, S]}; optionally followed by the past
 *       cache, 2 arrays per layer in the order {@code key_0, value_0, key_1, value_1, ...}, each
 *       FLOAT32 {@code [B, kvHeads, T, headDim]}; optionally plus one array named {@value
 *       #ATTENTION_MASK} (see {@link NDArray#setName(String)}), INT64 {@code [B, T + S]} with 1 for
 *       real tokens and 0 for (left) padding, covering the past and the new tokens.
 *   <li>Output NDList: {@code [logits, key_0, value_0, ...]}: logits FLOAT32 {@code [B, S, vocab]}
 *       and the present cache, the past concatenated with the {@code S} new positions ({@code [B,
 *       kvHeads, T + S, headDim]}).
 *   <li>Positions are {@code T + [0, S)}; with an attention mask, each row counts only its unmasked
 *       tokens ({@code cumsum(mask) - 1}), so left-padded rows get the same positions as unpadded
 *       ones.
 *   <li>Attention is causal: a new token attends to every cached position and to the new positions
 *       up to itself, except masked (padding) positions; in sliding-attention layers only to the
 *       last {@code sliding_window} of them (see {@link DecoderModel}). The cache keeps every
 *       position, so positions stay exact however long the generation.
 * </ul>
 *
 * <p>Arrays produced by the forward pass are attached to the manager of {@code input_ids} (or of
 * the past cache arrays), never to the model's manager.
 */
public class CausalLM extends AbstractBlock {

    /** The name of the optional attention mask array in the input NDList. */
    public static final String ATTENTION_MASK = "attention_mask";

    /**
     * The forward parameter (a key of {@code params} with a positive {@link Integer} value) that
     * asks for the logits of only the last positions, as transformers' {@code logits_to_keep}:
     * generation needs the last one only, and skipping the others saves most of the output
     * projection of a prefill and its {@code [seq, vocab]} result.
     */
    public static final String LOGITS_TO_KEEP = "logits_to_keep";

    private static final byte VERSION = 1;

    private final DecoderConfig config;
    private final float finalLogitSoftcap;

    private DecoderModel model;
    private Block lmHead;

    /**
     * Creates the model from its config.
     *
     * @param config the model config
     */
    public CausalLM(DecoderConfig config) {
        super(VERSION);
        this.config = config;
        finalLogitSoftcap = (float) config.getFinalLogitSoftcapping();
        model = addChildBlock("model", new DecoderModel(config));
        if (!config.isTieWordEmbeddings()) {
            lmHead = addChildBlock("lm_head", GatedMlp.linear(config.getVocabSize(), false));
        }
    }

    /**
     * Returns the config.
     *
     * @return the config this model was built from
     */
    public DecoderConfig getConfig() {
        return config;
    }

    /**
     * Returns the decoder stack.
     *
     * @return the {@code model} child
     */
    public DecoderModel getModel() {
        return model;
    }

    /**
     * Runs one forward pass outside a DJL predictor (inference, no gradients).
     *
     * @param inputIds INT64 {@code [B, S]}
     * @param cache the past cache, or {@link KvCache#empty()}
     * @return {@code [logits, key_0, value_0, ...]} as described by the forward contract
     */
    public NDList forward(NDArray inputIds, KvCache cache) {
        return forward(inputIds, cache, null);
    }

    /**
     * Runs one forward pass with an attention mask outside a DJL predictor (inference).
     *
     * @param inputIds INT64 {@code [B, S]}
     * @param cache the past cache, or {@link KvCache#empty()}
     * @param attentionMask INT64 {@code [B, T + S]} with 0 for padding, or null; it is renamed
     *     {@value #ATTENTION_MASK}
     * @return {@code [logits, key_0, value_0, ...]} as described by the forward contract
     */
    public NDList forward(NDArray inputIds, KvCache cache, NDArray attentionMask) {
        return forward(inputIds, cache, attentionMask, null);
    }

    /**
     * Runs the model on token ids with a past cache and an optional attention mask, returning the
     * logits of the last {@code logitsToKeep} positions only.
     *
     * @param inputIds INT64 {@code [batch, seq]}
     * @param cache the past keys and values
     * @param attentionMask INT64 {@code [batch, past + seq]} (1 = attend, 0 = padding), or null
     * @param logitsToKeep the number of last positions whose logits are computed (at least 1)
     * @return the logits {@code [batch, min(seq, logitsToKeep), vocab]} followed by the present
     *     cache
     * @throws IllegalArgumentException when {@code logitsToKeep} is not positive
     */
    public NDList forward(
            NDArray inputIds, KvCache cache, NDArray attentionMask, int logitsToKeep) {
        return forward(inputIds, cache, attentionMask, keepLastLogits(logitsToKeep));
    }

    private NDList forward(
            NDArray inputIds,
            KvCache cache,
            NDArray attentionMask,
            PairList<String, Object> params) {
        NDList inputs = new NDList(inputIds);
        inputs.addAll(cache.arrays());
        if (attentionMask != null) {
            attentionMask.setName(ATTENTION_MASK);
            inputs.add(attentionMask);
        }
        ParameterStore ps = new ParameterStore(inputIds.getManager(), false);
        return forward(ps, inputs, false, params);
    }

    /**
     * Returns forward parameters that ask for the logits of the last {@code count} positions only
     * (see {@link #LOGITS_TO_KEEP}).
     *
     * @param count the number of last positions (at least 1)
     * @return the parameters to pass to {@code forward(ps, inputs, training, params)}
     * @throws IllegalArgumentException when {@code count} is not positive
     */
    public static PairList<String, Object> keepLastLogits(int count) {
        if (count < 1) {
            throw new IllegalArgumentException(
                    LOGITS_TO_KEEP + " must be at least 1, got " + count);
        }
        PairList<String, Object> params = new PairList<>();
        params.add(LOGITS_TO_KEEP, count);
        return params;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList out = model.forward(ps, inputs, training);
        NDArray hidden = lastPositions(out.head(), params);
        NDArray logits;
        if (lmHead != null) {
            logits = lmHead.forward(ps, new NDList(hidden), training).head();
        } else {
            logits = tiedProjection(ps, hidden, training);
        }
        if (logits.getDataType() != DataType.FLOAT32) {
            logits = logits.toType(DataType.FLOAT32, false);
        }
        if (finalLogitSoftcap > 0) {
            logits = logits.div(finalLogitSoftcap).tanh().mul(finalLogitSoftcap);
        }
        out.set(0, logits);
        return out;
    }

    private static NDArray lastPositions(NDArray hidden, PairList<String, Object> params) {
        Object keep = params == null ? null : params.get(LOGITS_TO_KEEP);
        if (keep == null) {
            return hidden;
        }
        if (!(keep instanceof Integer) || (Integer) keep < 1) {
            throw new IllegalArgumentException(
                    LOGITS_TO_KEEP + " must be a positive Integer, got " + keep);
        }
        long seq = hidden.getShape().get(1);
        long count = Math.min(seq, (Integer) keep);
        return count == seq ? hidden : hidden.get(new NDIndex(":, {}:", seq - count));
    }

    private NDArray tiedProjection(ParameterStore ps, NDArray hidden, boolean training) {
        Block embedding = model.getEmbedTokens();
        if (embedding instanceof DecoderEmbedding) {
            return ((DecoderEmbedding) embedding).projectTransposed(ps, hidden, training);
        }
        if (embedding instanceof TokenEmbedding) {
            return ((TokenEmbedding) embedding).projectTransposed(hidden);
        }
        throw new IllegalStateException(
                "Tied output projection needs a TokenEmbedding at model.embed_tokens, found "
                        + embedding.getClass().getName());
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        model.initialize(manager, dataType, inputShapes[0]);
        if (lmHead != null) {
            lmHead.initialize(manager, dataType, inputShapes[0].add(config.getHiddenSize()));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] out = model.getOutputShapes(inputShapes);
        out[0] = inputShapes[0].add(config.getVocabSize());
        return out;
    }
}
