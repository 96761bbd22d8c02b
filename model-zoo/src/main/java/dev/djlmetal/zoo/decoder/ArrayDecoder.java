package dev.djlmetal.zoo.decoder;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.cpu.ArrayProduct;
import dev.djlmetal.backend.cpu.DecodeMath;
import dev.djlmetal.backend.cpu.FloatWeightProduct;
import dev.djlmetal.nn.BlockPaths;
import dev.djlmetal.nn.MetalQuantizedEmbedding;
import dev.djlmetal.nn.MetalQuantizedLinear;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Decoding steps of a {@link CausalLM} on Java arrays: each token's hidden state stays in Java
 * memory from the embedding to the logits, the linear layers run as {@link ArrayProduct}s (the cpu
 * backend's quantized weights, or float weights read in place) and everything between them (RMS
 * norms, rotary embeddings, attention over an {@link ArraySequence} cache, activations, residuals)
 * as {@link DecodeMath} on arrays. At batch size one the NDArray path spends about a third of a
 * step in a dozen engine operations per layer of tens of microseconds each; here they cost a few
 * microseconds.
 *
 * <p>Prompts still run through the model's own forward pass ({@link #prefill}), where the engine's
 * batched operations are fast; their keys and values are then copied into the sequence's cache. A
 * {@link #step} feeds one token of each of several sequences at once: the linear layers see them as
 * one small batch (each packed code is decoded once for the batch), and each sequence attends over
 * its own cache, so sequences of any lengths step together without padding.
 *
 * <p>The computation is the model's: the same formulas in float32 as its blocks (see {@link
 * Attention}, {@link DecoderLayer}, {@link GatedMlp}, {@link RmsNorm}, {@link RotaryEmbedding}),
 * for every family except mixture-of-experts layers; {@link #create} says why a model cannot use
 * it. Thread-safe: each call works in its own arrays; a sequence must not be used by two calls at
 * once.
 */
public final class ArrayDecoder {

    private final CausalLM model;
    private final DecoderConfig config;
    private final DecodeMath math;
    private final Block embedTokens;
    private final float embeddingScale;
    private final Layer[] layers;
    private final float[] finalNorm;
    private final ArrayProduct lmHead;
    private final float finalSoftcap;
    private final Rope[] ropeByLayer;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int vocab;
    private final float eps;
    private final float normOffset;

    /**
     * Each decoding thread's arrays of its last step, reused while the batch size stays the same
     * (every array is written before it is read within a step).
     */
    private final ThreadLocal<Work> work = new ThreadLocal<>();

    private ArrayDecoder(CausalLM model, Map<String, Block> blocks) {
        this.model = model;
        this.config = model.getConfig();
        this.math = DecodeMath.get();
        this.hidden = config.getHiddenSize();
        this.heads = config.getNumAttentionHeads();
        this.kvHeads = config.getNumKeyValueHeads();
        this.headDim = config.getHeadDim();
        this.vocab = config.getVocabSize();
        this.eps = (float) config.getRmsNormEps();
        this.normOffset = config.isNormOffset() ? 1f : 0f;
        this.embedTokens = model.getModel().getEmbedTokens();
        this.embeddingScale = config.isScaleEmbeddings() ? (float) Math.sqrt(hidden) : 1f;
        int count = config.getNumHiddenLayers();
        this.layers = new Layer[count];
        this.ropeByLayer = new Rope[count];
        Map<AttentionType, Rope> ropes = new EnumMap<>(AttentionType.class);
        for (int i = 0; i < count; i++) {
            AttentionType type = config.getLayerType(i);
            ropeByLayer[i] =
                    ropes.computeIfAbsent(
                            type, t -> new Rope(config.getRope(t), config.getRotaryDim()));
            layers[i] = new Layer(blocks, "model.layers." + i + ".", type);
        }
        this.finalNorm = normWeight(blocks, "model.norm");
        this.lmHead = outputProjection(blocks);
        this.finalSoftcap = (float) config.getFinalLogitSoftcapping();
    }

    /**
     * Creates the array decoder of a model whose weights are all in Java reach: every linear layer
     * quantized on the cpu backend or in float on the CPU.
     *
     * @param model the model, its parameters loaded
     * @return the decoder
     * @throws UnsupportedOperationException naming what the array path cannot run (a layer on
     *     another backend, a mixture-of-experts layer)
     */
    public static ArrayDecoder create(CausalLM model) {
        if (model.getConfig().getMoe() != null) {
            throw new UnsupportedOperationException(
                    "mixture-of-experts layers run on the NDArray path only");
        }
        return new ArrayDecoder(model, BlockPaths.blocks(model));
    }

    /**
     * Returns the model this decoder runs.
     *
     * @return the model
     */
    public CausalLM getModel() {
        return model;
    }

    /**
     * Returns the name of the arithmetic in use, for logs and benchmarks.
     *
     * @return for example {@code vector-512bit}
     */
    public String mathName() {
        return math.name();
    }

    /**
     * Starts an empty sequence.
     *
     * @param expectedLength the positions the caller expects (the cache grows past it if needed)
     * @return the sequence
     */
    public ArraySequence newSequence(int expectedLength) {
        int[] windows = new int[layers.length];
        for (int i = 0; i < layers.length; i++) {
            windows[i] = layers[i].sliding ? config.getSlidingWindow() : 0;
        }
        return new ArraySequence(
                layers.length, kvHeads, headDim, windows, Math.max(16, expectedLength));
    }

    /**
     * Runs a prompt through the model's forward pass, stores its keys and values in the sequence
     * and returns the logits of its last position.
     *
     * @param sequence an empty sequence
     * @param ids the prompt's token ids (at least one)
     * @param manager the manager of the pass's temporary arrays (closed by the caller)
     * @return {@code vocab} logits
     * @throws IllegalArgumentException when the sequence is not empty or the prompt is
     */
    public float[] prefill(ArraySequence sequence, long[] ids, NDManager manager) {
        if (sequence.length() != 0 || ids.length == 0) {
            throw new IllegalArgumentException(
                    "prefill needs an empty sequence and a non-empty prompt, got a sequence of"
                            + " length "
                            + sequence.length()
                            + " and "
                            + ids.length
                            + " ids");
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            NDList out = model.forward(input, KvCache.empty(), null, 1);
            int length = ids.length;
            sequence.ensureCapacity(length);
            for (int layer = 0; layer < layers.length; layer++) {
                float[] k = out.get(1 + 2 * layer).toType(DataType.FLOAT32, false).toFloatArray();
                float[] v = out.get(2 + 2 * layer).toType(DataType.FLOAT32, false).toFloatArray();
                copyCache(sequence, layer, k, v, length);
            }
            sequence.advance(length);
            return out.head().toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    /** Copies one layer's {@code [1, kvHeads, T, headDim]} keys and values into the cache. */
    private void copyCache(ArraySequence sequence, int layer, float[] k, float[] v, int length) {
        int first = Math.max(0, length - sequence.visible(layer, length));
        float[] key = new float[kvHeads * headDim];
        float[] value = new float[kvHeads * headDim];
        for (int t = first; t < length; t++) {
            for (int h = 0; h < kvHeads; h++) {
                System.arraycopy(k, (h * length + t) * headDim, key, h * headDim, headDim);
                System.arraycopy(v, (h * length + t) * headDim, value, h * headDim, headDim);
            }
            sequence.store(layer, t, key, 0, value, 0);
        }
    }

    /**
     * Decodes one token of each sequence: appends its keys and values to the sequence's cache and
     * writes the logits of the next position.
     *
     * @param sequences the sequences (distinct, each prefilled)
     * @param tokens the token of each sequence at its next position
     * @param manager the manager of the embedding lookup's temporary arrays
     * @return {@code [sequences.size()][vocab]} logits
     */
    public float[][] step(List<ArraySequence> sequences, long[] tokens, NDManager manager) {
        int batch = sequences.size();
        if (tokens.length != batch) {
            throw new IllegalArgumentException(
                    tokens.length + " tokens for " + batch + " sequences");
        }
        int[] positions = new int[batch];
        for (int b = 0; b < batch; b++) {
            positions[b] = sequences.get(b).length();
            sequences.get(b).ensureCapacity(positions[b] + 1);
        }
        Work w = work.get();
        if (w == null || w.batch != batch) {
            w = new Work(batch);
            work.set(w);
        }
        embed(tokens, manager, w.x);
        for (int i = 0; i < layers.length; i++) {
            layers[i].forward(i, sequences, positions, w);
        }
        for (int b = 0; b < batch; b++) {
            math.rmsNorm(w.x, b * hidden, finalNorm, normOffset, eps, w.normed, b * hidden, hidden);
            sequences.get(b).advance(1);
        }
        float[][] rows = new float[batch][];
        if (batch == 1) {
            rows[0] = new float[vocab];
            lmHead.multiply(w.normed, 1, rows[0]);
        } else {
            float[] logits = new float[batch * vocab];
            lmHead.multiply(w.normed, batch, logits);
            for (int b = 0; b < batch; b++) {
                rows[b] = Arrays.copyOfRange(logits, b * vocab, (b + 1) * vocab);
            }
        }
        for (int b = 0; b < batch; b++) {
            if (finalSoftcap > 0) {
                for (int v = 0; v < vocab; v++) {
                    rows[b][v] = finalSoftcap * (float) Math.tanh(rows[b][v] / finalSoftcap);
                }
            }
        }
        return rows;
    }

    /** Looks the tokens up with the model's own embedding block (one engine call per step). */
    private void embed(long[] tokens, NDManager manager, float[] x) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray ids = scope.create(tokens, new Shape(tokens.length, 1));
            ParameterStore ps = new ParameterStore(scope, false);
            NDArray rows = embedTokens.forward(ps, new NDList(ids), false).head();
            float[] values = rows.toType(DataType.FLOAT32, false).toFloatArray();
            System.arraycopy(values, 0, x, 0, tokens.length * hidden);
        }
        if (embeddingScale != 1f) {
            math.scale(x, 0, tokens.length * hidden, embeddingScale);
        }
    }

    /** The per-step arrays of a batch. */
    private final class Work {
        final int batch;
        final float[] x;
        final float[] normed;
        final float[] qkv;
        final float[] q;
        final float[] k;
        final float[] v;
        final float[] context;
        final float[] attn;
        final float[] gateUp;
        final float[] gate;
        final float[] up;
        final float[] mlp;
        final float[] cos;
        final float[] sin;

        Work(int batch) {
            this.batch = batch;
            int intermediate = config.getIntermediateSize();
            x = new float[batch * hidden];
            normed = new float[batch * hidden];
            qkv = new float[batch * (heads + 2 * kvHeads) * headDim];
            q = new float[batch * heads * headDim];
            k = new float[batch * kvHeads * headDim];
            v = new float[batch * kvHeads * headDim];
            context = new float[batch * heads * headDim];
            attn = new float[batch * hidden];
            gateUp = new float[batch * 2 * intermediate];
            gate = new float[batch * intermediate];
            up = new float[batch * intermediate];
            mlp = new float[batch * hidden];
            cos = new float[config.getRotaryDim() / 2];
            sin = new float[config.getRotaryDim() / 2];
        }
    }

    /** One decoder layer's weights and switches, read from the blocks once. */
    private final class Layer {

        final boolean sliding;
        final float[] inputNorm;
        final float[] postAttentionNorm;
        final float[] preFeedforwardNorm;
        final float[] postFeedforwardNorm;
        final Projection qkv;
        final Projection q;
        final Projection k;
        final Projection v;
        final Projection o;
        final float[] qNorm;
        final float[] kNorm;
        final Projection gateUp;
        final Projection gate;
        final Projection up;
        final Projection down;
        final boolean gelu;
        final float scale;
        final float softcap;

        Layer(Map<String, Block> blocks, String prefix, AttentionType type) {
            sliding = type == AttentionType.SLIDING;
            inputNorm = normWeight(blocks, prefix + "input_layernorm");
            postAttentionNorm = normWeight(blocks, prefix + "post_attention_layernorm");
            boolean sandwich = config.isSandwichNorms();
            preFeedforwardNorm =
                    sandwich ? normWeight(blocks, prefix + "pre_feedforward_layernorm") : null;
            postFeedforwardNorm =
                    sandwich ? normWeight(blocks, prefix + "post_feedforward_layernorm") : null;
            String attn = prefix + "self_attn.";
            if (config.isFusedQkv()) {
                qkv = projection(blocks, attn + "qkv_proj");
                q = null;
                k = null;
                v = null;
            } else {
                qkv = null;
                q = projection(blocks, attn + "q_proj");
                k = projection(blocks, attn + "k_proj");
                v = projection(blocks, attn + "v_proj");
            }
            o = projection(blocks, attn + "o_proj");
            qNorm = config.isQueryKeyNorm() ? normWeight(blocks, attn + "q_norm") : null;
            kNorm = config.isQueryKeyNorm() ? normWeight(blocks, attn + "k_norm") : null;
            String mlp = prefix + "mlp.";
            if (config.isFusedGateUp()) {
                gateUp = projection(blocks, mlp + "gate_up_proj");
                gate = null;
                up = null;
            } else {
                gateUp = null;
                gate = projection(blocks, mlp + "gate_proj");
                up = projection(blocks, mlp + "up_proj");
            }
            down = projection(blocks, mlp + "down_proj");
            gelu = config.getActivation() == MlpActivation.GELU_TANH;
            scale = (float) (1.0 / Math.sqrt(config.getQueryPreAttnScalar()));
            softcap = (float) config.getAttnLogitSoftcapping();
        }

        void forward(int layer, List<ArraySequence> sequences, int[] positions, Work w) {
            int batch = sequences.size();
            for (int b = 0; b < batch; b++) {
                math.rmsNorm(
                        w.x, b * hidden, inputNorm, normOffset, eps, w.normed, b * hidden, hidden);
            }
            projectQkv(batch, w);
            int qWidth = heads * headDim;
            int kvWidth = kvHeads * headDim;
            for (int b = 0; b < batch; b++) {
                if (qNorm != null) {
                    for (int h = 0; h < heads; h++) {
                        int at = b * qWidth + h * headDim;
                        math.rmsNorm(w.q, at, qNorm, normOffset, eps, w.q, at, headDim);
                    }
                    for (int h = 0; h < kvHeads; h++) {
                        int at = b * kvWidth + h * headDim;
                        math.rmsNorm(w.k, at, kNorm, normOffset, eps, w.k, at, headDim);
                    }
                }
                ropeByLayer[layer].table(positions[b], w.cos, w.sin);
                int rotary = config.getRotaryDim();
                for (int h = 0; h < heads; h++) {
                    math.rotate(w.q, b * qWidth + h * headDim, rotary, w.cos, w.sin);
                }
                for (int h = 0; h < kvHeads; h++) {
                    math.rotate(w.k, b * kvWidth + h * headDim, rotary, w.cos, w.sin);
                }
                ArraySequence sequence = sequences.get(b);
                sequence.store(layer, positions[b], w.k, b * kvWidth, w.v, b * kvWidth);
                attend(layer, sequence, positions[b] + 1, b, w);
            }
            o.multiply(w.context, batch, w.attn);
            if (preFeedforwardNorm != null) {
                for (int b = 0; b < batch; b++) {
                    int at = b * hidden;
                    math.rmsNorm(
                            w.attn, at, postAttentionNorm, normOffset, eps, w.attn, at, hidden);
                    math.add(w.attn, at, w.x, at, hidden);
                    math.rmsNorm(
                            w.x, at, preFeedforwardNorm, normOffset, eps, w.normed, at, hidden);
                }
            } else {
                for (int b = 0; b < batch; b++) {
                    int at = b * hidden;
                    math.add(w.attn, at, w.x, at, hidden);
                    math.rmsNorm(w.x, at, postAttentionNorm, normOffset, eps, w.normed, at, hidden);
                }
            }
            feedForward(batch, w);
            for (int b = 0; b < batch; b++) {
                int at = b * hidden;
                if (postFeedforwardNorm != null) {
                    math.rmsNorm(
                            w.mlp, at, postFeedforwardNorm, normOffset, eps, w.mlp, at, hidden);
                }
                math.add(w.mlp, at, w.x, at, hidden);
            }
        }

        private void projectQkv(int batch, Work w) {
            int qWidth = heads * headDim;
            int kvWidth = kvHeads * headDim;
            if (qkv == null) {
                q.multiply(w.normed, batch, w.q);
                k.multiply(w.normed, batch, w.k);
                v.multiply(w.normed, batch, w.v);
                return;
            }
            qkv.multiply(w.normed, batch, w.qkv);
            int width = qWidth + 2 * kvWidth;
            for (int b = 0; b < batch; b++) {
                System.arraycopy(w.qkv, b * width, w.q, b * qWidth, qWidth);
                System.arraycopy(w.qkv, b * width + qWidth, w.k, b * kvWidth, kvWidth);
                System.arraycopy(w.qkv, b * width + qWidth + kvWidth, w.v, b * kvWidth, kvWidth);
            }
        }

        /** Attention of row {@code b}'s query heads over its cache, into {@code w.context}. */
        private void attend(int layer, ArraySequence sequence, int positions, int b, Work w) {
            int qWidth = heads * headDim;
            math.attend(
                    w.q,
                    b * qWidth,
                    heads,
                    kvHeads,
                    headDim,
                    sequence.keys(layer),
                    sequence.values(layer),
                    sequence.capacity(layer),
                    sequence.visible(layer, positions),
                    scale,
                    softcap,
                    w.context,
                    b * qWidth);
        }

        private void feedForward(int batch, Work w) {
            int intermediate = config.getIntermediateSize();
            if (gateUp != null) {
                gateUp.multiply(w.normed, batch, w.gateUp);
                for (int b = 0; b < batch; b++) {
                    int at = b * 2 * intermediate;
                    math.gatedActivation(
                            w.gateUp,
                            at,
                            w.gateUp,
                            at + intermediate,
                            w.gate,
                            b * intermediate,
                            intermediate,
                            gelu);
                }
            } else {
                gate.multiply(w.normed, batch, w.gate);
                up.multiply(w.normed, batch, w.up);
                math.gatedActivation(w.gate, 0, w.up, 0, w.gate, 0, batch * intermediate, gelu);
            }
            down.multiply(w.gate, batch, w.mlp);
        }
    }

    /** A linear layer as an array product plus its optional bias. */
    private static final class Projection {

        private final ArrayProduct product;
        private final float[] bias;

        Projection(ArrayProduct product, float[] bias) {
            this.product = product;
            this.bias = bias;
        }

        void multiply(float[] x, int batch, float[] out) {
            product.multiply(x, batch, out);
            if (bias != null) {
                int n = product.outFeatures();
                for (int b = 0; b < batch; b++) {
                    for (int i = 0; i < n; i++) {
                        out[b * n + i] += bias[i];
                    }
                }
            }
        }
    }

    /** The rotary angles of one kind of layer, computed per position as the block does. */
    private static final class Rope {

        private final RopeScaling scaling;
        private final float[] shortFrequencies;
        private final float[] longFrequencies;
        private final float attentionFactor;

        Rope(RopeScaling scaling, int rotaryDim) {
            this.scaling = scaling;
            this.shortFrequencies = floats(scaling.inverseFrequencies(rotaryDim));
            this.longFrequencies =
                    "longrope".equals(scaling.getType())
                            ? floats(scaling.longInverseFrequencies(rotaryDim))
                            : null;
            this.attentionFactor = (float) scaling.getAttentionFactor();
        }

        private static float[] floats(double[] values) {
            float[] out = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                out[i] = (float) values[i];
            }
            return out;
        }

        /** Writes the cosines and sines of a position, in float32 as the engine computes them. */
        void table(int position, float[] cos, float[] sin) {
            float[] frequencies =
                    longFrequencies != null && scaling.usesLongFactors(position)
                            ? longFrequencies
                            : shortFrequencies;
            for (int i = 0; i < frequencies.length; i++) {
                float angle = position * frequencies[i];
                cos[i] = (float) Math.cos(angle) * attentionFactor;
                sin[i] = (float) Math.sin(angle) * attentionFactor;
            }
        }
    }

    private float[] normWeight(Map<String, Block> blocks, String path) {
        Block block = blocks.get(path);
        if (!(block instanceof RmsNorm)) {
            throw new UnsupportedOperationException(
                    "no RMS norm at " + path + " (found " + describe(block) + ")");
        }
        Parameter weight = block.getParameters().get("weight");
        return weight.getArray().toType(DataType.FLOAT32, false).toFloatArray();
    }

    private Projection projection(Map<String, Block> blocks, String path) {
        Block block = blocks.get(path);
        if (block instanceof MetalQuantizedLinear) {
            MetalQuantizedLinear linear = (MetalQuantizedLinear) block;
            PreparedWeight prepared = linear.getPreparedWeight();
            if (!(prepared instanceof ArrayProduct)) {
                throw new UnsupportedOperationException(
                        path + " runs on the " + linear.getBackend().kind() + " backend, not cpu");
            }
            NDArray bias = linear.getBias();
            return new Projection((ArrayProduct) prepared, bias == null ? null : floats(bias));
        }
        if (block instanceof Linear) {
            return floatProjection(block, path);
        }
        throw new UnsupportedOperationException(
                "no linear layer at " + path + " (found " + describe(block) + ")");
    }

    private static Projection floatProjection(Block linear, String path) {
        Parameter weight = linear.getParameters().get("weight");
        NDArray array = weight.getArray();
        if (array.getDataType() != DataType.FLOAT32
                || !Device.Type.CPU.equals(array.getDevice().getDeviceType())) {
            throw new UnsupportedOperationException(
                    path + " holds a " + array.getDataType() + " weight on " + array.getDevice());
        }
        float[] bias = null;
        if (linear.getParameters().contains("bias")) {
            bias = floats(linear.getParameters().get("bias").getArray());
        }
        return new Projection(FloatWeightProduct.of(array), bias);
    }

    private ArrayProduct outputProjection(Map<String, Block> blocks) {
        Block head = blocks.get("lm_head");
        if (head != null) {
            Projection projection = projection(blocks, "lm_head");
            if (projection.bias != null) {
                throw new UnsupportedOperationException("lm_head with a bias");
            }
            return projection.product;
        }
        if (embedTokens instanceof MetalQuantizedEmbedding) {
            PreparedWeight prepared = ((MetalQuantizedEmbedding) embedTokens).getPreparedWeight();
            if (prepared instanceof ArrayProduct) {
                return (ArrayProduct) prepared;
            }
            throw new UnsupportedOperationException(
                    "the tied output projection runs on the "
                            + ((MetalQuantizedEmbedding) embedTokens).getBackend().kind()
                            + " backend, not cpu");
        }
        if (embedTokens instanceof DecoderEmbedding) {
            NDArray table = ((DecoderEmbedding) embedTokens).getEmbeddingWeight().getArray();
            if (table.getDataType() == DataType.FLOAT32
                    && Device.Type.CPU.equals(table.getDevice().getDeviceType())) {
                return FloatWeightProduct.of(table);
            }
        }
        throw new UnsupportedOperationException(
                "no output projection the array path can run (embedding "
                        + describe(embedTokens)
                        + ")");
    }

    private static float[] floats(NDArray array) {
        return array.toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static String describe(Block block) {
        return block == null ? "nothing" : block.getClass().getSimpleName();
    }
}
