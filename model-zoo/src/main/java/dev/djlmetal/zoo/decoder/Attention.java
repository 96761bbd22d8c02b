package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head self-attention with grouped-query key/value heads, rotary positions and an optional
 * key/value cache, and the variants of the model families: per-head query/key RMS norms (Qwen3,
 * Gemma 3), a score scale of {@code query_pre_attn_scalar^-0.5} and score soft-capping (Gemma),
 * partial rotation (Phi-3), one fused {@code qkv_proj} (Phi-3). Which keys a query sees (causal,
 * sliding window, padding) is decided by the caller's additive attention bias.
 *
 * <p>Children (Hugging Face names): {@code q_proj}, {@code k_proj}, {@code v_proj} (or {@code
 * qkv_proj}: query rows, then key rows, then value rows), {@code o_proj}, each an {@link Linear}
 * that a quantizer may replace (the fields are typed {@link Block}); {@code q_norm} and {@code
 * k_norm} when the family normalizes queries and keys.
 *
 * <p>Input NDList: {@code [hidden [B, S, hidden], cos, sin]} ({@link RotaryEmbedding#cosSin}), then
 * optionally the past {@code [key, value]}, each {@code [B, kvHeads, T, headDim]}; plus optionally
 * an array whose name starts with {@value DecoderLayer#ATTENTION_BIAS} (additive, broadcastable to
 * {@code [B, heads, S, T + S]}). Output: {@code [out [B, S, hidden], key, value]} where key and
 * value hold the past followed by the {@code S} new positions.
 */
public class Attention extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int hiddenSize;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final float softcap;

    private Block qProj;
    private Block kProj;
    private Block vProj;
    private Block qkvProj;
    private Block oProj;
    private Block qNorm;
    private Block kNorm;

    /**
     * Creates the attention block of a model.
     *
     * @param config the model config
     */
    public Attention(DecoderConfig config) {
        super(VERSION);
        hiddenSize = config.getHiddenSize();
        heads = config.getNumAttentionHeads();
        kvHeads = config.getNumKeyValueHeads();
        headDim = config.getHeadDim();
        scale = (float) (1.0 / Math.sqrt(config.getQueryPreAttnScalar()));
        softcap = (float) config.getAttnLogitSoftcapping();
        boolean qkvBias = config.isQkvBias();
        if (config.isFusedQkv()) {
            long width = (long) (heads + 2 * kvHeads) * headDim;
            qkvProj = addChildBlock("qkv_proj", linear(width, qkvBias));
        } else {
            qProj = addChildBlock("q_proj", linear((long) heads * headDim, qkvBias));
            kProj = addChildBlock("k_proj", linear((long) kvHeads * headDim, qkvBias));
            vProj = addChildBlock("v_proj", linear((long) kvHeads * headDim, qkvBias));
        }
        oProj = addChildBlock("o_proj", linear(hiddenSize, config.isOutputBias()));
        if (config.isQueryKeyNorm()) {
            double eps = config.getRmsNormEps();
            qNorm = addChildBlock("q_norm", new RmsNorm(headDim, eps, config.isNormOffset()));
            kNorm = addChildBlock("k_norm", new RmsNorm(headDim, eps, config.isNormOffset()));
        }
    }

    static Linear linear(long units, boolean bias) {
        return GatedMlp.linear(units, bias);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray bias = null;
        NDList plain = new NDList();
        for (NDArray array : inputs) {
            if (DecoderLayer.isAttentionBias(array)) {
                bias = array;
            } else {
                plain.add(array);
            }
        }
        NDArray x = plain.get(0);
        NDArray cos = plain.get(1);
        NDArray sin = plain.get(2);
        NDArray pastKey = plain.size() > 4 ? plain.get(3) : null;
        NDArray pastValue = plain.size() > 4 ? plain.get(4) : null;
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);

        NDArray q;
        NDArray k;
        NDArray v;
        if (qkvProj != null) {
            NDArray qkv = qkvProj.forward(ps, new NDList(x), training).head();
            long qWidth = (long) heads * headDim;
            long kvWidth = (long) kvHeads * headDim;
            NDList parts = qkv.split(new long[] {qWidth, qWidth + kvWidth}, 2);
            q = heads(parts.get(0), batch, seq, heads);
            k = heads(parts.get(1), batch, seq, kvHeads);
            v = heads(parts.get(2), batch, seq, kvHeads);
        } else {
            q = heads(qProj.forward(ps, new NDList(x), training).head(), batch, seq, heads);
            k = heads(kProj.forward(ps, new NDList(x), training).head(), batch, seq, kvHeads);
            v = heads(vProj.forward(ps, new NDList(x), training).head(), batch, seq, kvHeads);
        }
        if (qNorm != null) {
            q = qNorm.forward(ps, new NDList(q), training).head();
            k = kNorm.forward(ps, new NDList(k), training).head();
        }
        q = RotaryEmbedding.apply(q, cos, sin);
        k = RotaryEmbedding.apply(k, cos, sin);
        if (pastKey != null) {
            k = pastKey.concat(k, 2);
            v = pastValue.concat(v, 2);
        }
        // Grouped-query attention without repeating keys and values: the query heads that share a
        // key/value head (h = kv * groups + g) become extra rows of one matmul with that head.
        long groups = heads / kvHeads;
        long past = k.getShape().get(2);
        NDArray grouped = q.reshape(batch, kvHeads, groups * seq, headDim);
        NDArray scores =
                grouped.matMul(k.transpose(0, 1, 3, 2)).mul(scale).reshape(batch, heads, seq, past);
        if (softcap > 0) {
            scores = scores.div(softcap).tanh().mul(softcap);
        }
        if (bias != null) {
            scores = scores.add(bias);
        }
        NDArray probs =
                scores.toType(DataType.FLOAT32, false)
                        .softmax(-1)
                        .toType(q.getDataType(), false)
                        .reshape(batch, kvHeads, groups * seq, past);
        NDArray context = probs.matMul(v).reshape(batch, heads, seq, headDim);
        context = context.transpose(0, 2, 1, 3).reshape(batch, seq, (long) heads * headDim);
        NDArray out = oProj.forward(ps, new NDList(context), training).head();
        return new NDList(out, k, v);
    }

    private NDArray heads(NDArray projected, long batch, long seq, int count) {
        return projected.reshape(batch, seq, count, headDim).transpose(0, 2, 1, 3);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        if (qkvProj != null) {
            qkvProj.initialize(manager, dataType, in);
        } else {
            qProj.initialize(manager, dataType, in);
            kProj.initialize(manager, dataType, in);
            vProj.initialize(manager, dataType, in);
        }
        Shape context = new Shape(in.get(0), in.get(1), (long) heads * headDim);
        oProj.initialize(manager, dataType, context);
        if (qNorm != null) {
            Shape head = new Shape(in.get(0), heads, in.get(1), headDim);
            qNorm.initialize(manager, dataType, head);
            kNorm.initialize(manager, dataType, head);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        long past = inputShapes.length > 4 ? inputShapes[3].get(2) : 0;
        Shape kv = new Shape(in.get(0), kvHeads, past + in.get(1), headDim);
        return new Shape[] {new Shape(in.get(0), in.get(1), hiddenSize), kv, kv};
    }
}
