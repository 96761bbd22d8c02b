package dev.djlmetal.zoo.decoder;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.djlmetal.engine.spi.ArchitectureProvider;
import dev.djlmetal.engine.spi.Architectures;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Everything the shared decoder blocks need to build one model: sizes, norms, attention variants
 * (grouped-query heads, query/key norms, score scale and soft cap, sliding windows per layer),
 * rotary settings per kind of layer, the MLP's activation and layout, and the optional
 * mixture-of-experts settings.
 *
 * <p>A model family ({@link DecoderFamily}) reads its {@code config.json} into this class; {@link
 * #fromJson(JsonObject)} finds the family by {@code model_type}. Models built in code (tests,
 * training from scratch) use the {@link #builder()}.
 */
public final class DecoderConfig {

    private final String modelType;
    private final int hiddenSize;
    private final int intermediateSize;
    private final int numHiddenLayers;
    private final int numAttentionHeads;
    private final int numKeyValueHeads;
    private final int headDim;
    private final int vocabSize;
    private final int maxPositionEmbeddings;
    private final double rmsNormEps;
    private final boolean normOffset;
    private final boolean tieWordEmbeddings;
    private final boolean scaleEmbeddings;
    private final boolean qkvBias;
    private final boolean outputBias;
    private final boolean mlpBias;
    private final MlpActivation activation;
    private final boolean queryKeyNorm;
    private final double queryPreAttnScalar;
    private final double attnLogitSoftcapping;
    private final double finalLogitSoftcapping;
    private final boolean sandwichNorms;
    private final boolean fusedQkv;
    private final boolean fusedGateUp;
    private final double partialRotaryFactor;
    private final List<AttentionType> layerTypes;
    private final int slidingWindow;
    private final RopeScaling rope;
    private final RopeScaling localRope;
    private final MoeConfig moe;
    private final Integer bosTokenId;
    private final List<Long> eosTokenIds;

    private DecoderConfig(Builder b) {
        modelType = b.modelType;
        hiddenSize = b.hiddenSize;
        intermediateSize = b.intermediateSize;
        numHiddenLayers = b.numHiddenLayers;
        numAttentionHeads = b.numAttentionHeads;
        numKeyValueHeads = b.numKeyValueHeads > 0 ? b.numKeyValueHeads : b.numAttentionHeads;
        headDim = b.headDim > 0 ? b.headDim : divide(b.hiddenSize, b.numAttentionHeads);
        vocabSize = b.vocabSize;
        maxPositionEmbeddings = b.maxPositionEmbeddings;
        rmsNormEps = b.rmsNormEps;
        normOffset = b.normOffset;
        tieWordEmbeddings = b.tieWordEmbeddings;
        scaleEmbeddings = b.scaleEmbeddings;
        qkvBias = b.qkvBias;
        outputBias = b.outputBias;
        mlpBias = b.mlpBias;
        activation = b.activation;
        queryKeyNorm = b.queryKeyNorm;
        queryPreAttnScalar = b.queryPreAttnScalar > 0 ? b.queryPreAttnScalar : headDim;
        attnLogitSoftcapping = b.attnLogitSoftcapping;
        finalLogitSoftcapping = b.finalLogitSoftcapping;
        sandwichNorms = b.sandwichNorms;
        fusedQkv = b.fusedQkv;
        fusedGateUp = b.fusedGateUp;
        partialRotaryFactor = b.partialRotaryFactor;
        List<AttentionType> types = b.layerTypes;
        if (types == null) {
            types = Collections.nCopies(b.numHiddenLayers, AttentionType.FULL);
        }
        layerTypes = Collections.unmodifiableList(new ArrayList<>(types));
        slidingWindow = b.slidingWindow;
        rope = b.rope;
        localRope = b.localRope != null ? b.localRope : b.rope;
        moe = b.moe;
        bosTokenId = b.bosTokenId;
        eosTokenIds = Collections.unmodifiableList(new ArrayList<>(b.eosTokenIds));
        validate();
    }

    private static int divide(int hidden, int heads) {
        if (heads <= 0 || hidden % heads != 0) {
            throw new IllegalArgumentException(
                    "hidden_size "
                            + hidden
                            + " is not divisible by num_attention_heads "
                            + heads
                            + " and config.json has no head_dim");
        }
        return hidden / heads;
    }

    private void validate() {
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("vocab_size", vocabSize);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException(
                    "num_attention_heads "
                            + numAttentionHeads
                            + " is not a multiple of num_key_value_heads "
                            + numKeyValueHeads);
        }
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException(
                    "head_dim must be positive and even, got " + headDim);
        }
        int rotary = getRotaryDim();
        if (rotary <= 0 || rotary % 2 != 0 || rotary > headDim) {
            throw new IllegalArgumentException(
                    "partial_rotary_factor "
                            + partialRotaryFactor
                            + " gives a rotated width of "
                            + rotary
                            + " of head_dim "
                            + headDim
                            + "; it must be even and in (0, head_dim]");
        }
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
        }
        if (layerTypes.size() != numHiddenLayers) {
            throw new IllegalArgumentException(
                    "layer_types has "
                            + layerTypes.size()
                            + " entries for num_hidden_layers "
                            + numHiddenLayers);
        }
        if (layerTypes.contains(AttentionType.SLIDING) && slidingWindow <= 0) {
            throw new IllegalArgumentException(
                    "layer_types has sliding_attention layers but sliding_window is "
                            + slidingWindow);
        }
        if (attnLogitSoftcapping < 0 || finalLogitSoftcapping < 0) {
            throw new IllegalArgumentException(
                    "soft caps must not be negative, got attn_logit_softcapping "
                            + attnLogitSoftcapping
                            + " and final_logit_softcapping "
                            + finalLogitSoftcapping);
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /**
     * Returns a builder, for models built in code (tests, training from scratch).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads a {@code config.json} file with the family its {@code model_type} names.
     *
     * @param file the path of config.json
     * @return the config
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException naming the file and the problem when the config is malformed
     *     or describes an unsupported model
     */
    public static DecoderConfig fromFile(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return fromJson(JsonParser.parseReader(reader).getAsJsonObject());
        } catch (JsonParseException | IllegalStateException | IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the JSON text of a {@code config.json}.
     *
     * @param json the JSON text
     * @return the config
     * @throws IllegalArgumentException when the config is malformed or unsupported
     */
    public static DecoderConfig fromJson(String json) {
        return fromJson(JsonParser.parseString(json).getAsJsonObject());
    }

    /**
     * Reads a parsed {@code config.json} with the {@link DecoderFamily} registered for its {@code
     * model_type}.
     *
     * @param json the parsed config
     * @return the config
     * @throws IllegalArgumentException naming the field, the bad value and what is allowed when the
     *     config is malformed or describes an unsupported model
     */
    public static DecoderConfig fromJson(JsonObject json) {
        String type =
                json.has("model_type") && json.get("model_type").isJsonPrimitive()
                        ? json.get("model_type").getAsString().toLowerCase(Locale.ROOT)
                        : null;
        ArchitectureProvider provider = type == null ? null : Architectures.providers().get(type);
        if (!(provider instanceof DecoderFamily)) {
            // let the engine's lookup name the problem (missing or unknown model_type)
            Architectures.create(json);
            throw new IllegalArgumentException(
                    "model_type '" + type + "' is not a decoder family of the model zoo");
        }
        return ((DecoderFamily) provider).readConfig(json);
    }

    /**
     * Returns the architecture name.
     *
     * @return the {@code model_type} of config.json
     */
    public String getModelType() {
        return modelType;
    }

    /**
     * Returns the width of the residual stream.
     *
     * @return {@code hidden_size}
     */
    public int getHiddenSize() {
        return hiddenSize;
    }

    /**
     * Returns the inner width of the dense MLPs.
     *
     * @return {@code intermediate_size}
     */
    public int getIntermediateSize() {
        return intermediateSize;
    }

    /**
     * Returns the number of decoder layers.
     *
     * @return {@code num_hidden_layers}
     */
    public int getNumHiddenLayers() {
        return numHiddenLayers;
    }

    /**
     * Returns the number of query heads.
     *
     * @return {@code num_attention_heads}
     */
    public int getNumAttentionHeads() {
        return numAttentionHeads;
    }

    /**
     * Returns the number of key/value heads (grouped-query attention when fewer than the query
     * heads).
     *
     * @return {@code num_key_value_heads}, defaulting to the number of query heads
     */
    public int getNumKeyValueHeads() {
        return numKeyValueHeads;
    }

    /**
     * Returns the width of one attention head.
     *
     * @return {@code head_dim}, defaulting to {@code hidden_size / num_attention_heads}
     */
    public int getHeadDim() {
        return headDim;
    }

    /**
     * Returns the vocabulary size.
     *
     * @return {@code vocab_size}
     */
    public int getVocabSize() {
        return vocabSize;
    }

    /**
     * Returns the longest sequence the model was trained for.
     *
     * @return {@code max_position_embeddings}
     */
    public int getMaxPositionEmbeddings() {
        return maxPositionEmbeddings;
    }

    /**
     * Returns the epsilon of the RMS norms.
     *
     * @return {@code rms_norm_eps}
     */
    public double getRmsNormEps() {
        return rmsNormEps;
    }

    /**
     * Returns whether the RMS norms multiply by {@code 1 + weight} (Gemma) instead of {@code
     * weight}.
     *
     * @return true for offset norms
     */
    public boolean isNormOffset() {
        return normOffset;
    }

    /**
     * Returns whether the output projection reuses the token embedding table.
     *
     * @return {@code tie_word_embeddings}
     */
    public boolean isTieWordEmbeddings() {
        return tieWordEmbeddings;
    }

    /**
     * Returns whether the token embeddings are multiplied by {@code sqrt(hidden_size)} (Gemma).
     *
     * @return true when scaled
     */
    public boolean isScaleEmbeddings() {
        return scaleEmbeddings;
    }

    /**
     * Returns whether the q, k and v projections have additive biases (Qwen2, or Llama with {@code
     * attention_bias}).
     *
     * @return true when q/k/v have biases
     */
    public boolean isQkvBias() {
        return qkvBias;
    }

    /**
     * Returns whether the attention output projection {@code o_proj} has an additive bias.
     *
     * @return true for Llama with {@code attention_bias}
     */
    public boolean isOutputBias() {
        return outputBias;
    }

    /**
     * Returns whether the MLP projections have additive biases.
     *
     * @return {@code mlp_bias}
     */
    public boolean isMlpBias() {
        return mlpBias;
    }

    /**
     * Returns the activation of the gated MLPs.
     *
     * @return the activation
     */
    public MlpActivation getActivation() {
        return activation;
    }

    /**
     * Returns whether queries and keys are RMS-normalized per head before the rotation ({@code
     * q_norm}, {@code k_norm}).
     *
     * @return true for Qwen3 and Gemma 3
     */
    public boolean isQueryKeyNorm() {
        return queryKeyNorm;
    }

    /**
     * Returns the scalar whose inverse square root scales the attention scores.
     *
     * @return {@code query_pre_attn_scalar}, {@code head_dim} unless the family sets it
     */
    public double getQueryPreAttnScalar() {
        return queryPreAttnScalar;
    }

    /**
     * Returns the soft cap of the attention scores.
     *
     * @return {@code attn_logit_softcapping}, 0 for none
     */
    public double getAttnLogitSoftcapping() {
        return attnLogitSoftcapping;
    }

    /**
     * Returns the soft cap of the output logits.
     *
     * @return {@code final_logit_softcapping}, 0 for none
     */
    public double getFinalLogitSoftcapping() {
        return finalLogitSoftcapping;
    }

    /**
     * Returns whether each layer also normalizes its attention and MLP outputs (Gemma).
     *
     * @return true for four norms per layer
     */
    public boolean isSandwichNorms() {
        return sandwichNorms;
    }

    /**
     * Returns whether queries, keys and values come from one fused projection ({@code qkv_proj}).
     *
     * @return true for Phi-3
     */
    public boolean isFusedQkv() {
        return fusedQkv;
    }

    /**
     * Returns whether the MLP's gate and up projections are fused ({@code gate_up_proj}).
     *
     * @return true for Phi-3
     */
    public boolean isFusedGateUp() {
        return fusedGateUp;
    }

    /**
     * Returns the fraction of each head that is rotated.
     *
     * @return {@code partial_rotary_factor}, 1 for the whole head
     */
    public double getPartialRotaryFactor() {
        return partialRotaryFactor;
    }

    /**
     * Returns the rotated width of each head, {@code (int) (head_dim * partial_rotary_factor)}.
     *
     * @return the rotated width
     */
    public int getRotaryDim() {
        return (int) (headDim * partialRotaryFactor);
    }

    /**
     * Returns the attention type of every layer.
     *
     * @return one entry per layer
     */
    public List<AttentionType> getLayerTypes() {
        return layerTypes;
    }

    /**
     * Returns the attention type of one layer.
     *
     * @param layer the layer index
     * @return the type
     */
    public AttentionType getLayerType(int layer) {
        return layerTypes.get(layer);
    }

    /**
     * Returns the window of the sliding-attention layers.
     *
     * @return {@code sliding_window}, 0 when no layer slides
     */
    public int getSlidingWindow() {
        return slidingWindow;
    }

    /**
     * Returns the rotary settings of the full-attention layers.
     *
     * @return the base frequency and scaling
     */
    public RopeScaling getRope() {
        return rope;
    }

    /**
     * Returns the rotary settings of a kind of layer.
     *
     * @param type the attention type
     * @return the settings (Gemma 3's local base frequency for sliding layers)
     */
    public RopeScaling getRope(AttentionType type) {
        return type == AttentionType.SLIDING ? localRope : rope;
    }

    /**
     * Returns the mixture-of-experts settings.
     *
     * @return the settings, or null for a dense model
     */
    public MoeConfig getMoe() {
        return moe;
    }

    /**
     * Returns the begin-of-sequence token id.
     *
     * @return {@code bos_token_id}, or null when config.json has none
     */
    public Integer getBosTokenId() {
        return bosTokenId;
    }

    /**
     * Returns the end-of-sequence token ids.
     *
     * @return {@code eos_token_id} (a number or a list in config.json), empty when absent
     */
    public List<Long> getEosTokenIds() {
        return eosTokenIds;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "DecoderConfig{model_type="
                + modelType
                + ", hidden="
                + hiddenSize
                + ", intermediate="
                + intermediateSize
                + ", layers="
                + numHiddenLayers
                + ", heads="
                + numAttentionHeads
                + ", kvHeads="
                + numKeyValueHeads
                + ", headDim="
                + headDim
                + ", vocab="
                + vocabSize
                + ", tied="
                + tieWordEmbeddings
                + ", layerTypes="
                + layerTypes
                + ", slidingWindow="
                + slidingWindow
                + ", "
                + rope
                + (moe == null ? "" : ", " + moe)
                + '}';
    }

    /** Builds a {@link DecoderConfig}. */
    public static final class Builder {

        private String modelType = "llama";
        private int hiddenSize;
        private int intermediateSize;
        private int numHiddenLayers;
        private int numAttentionHeads;
        private int numKeyValueHeads;
        private int headDim;
        private int vocabSize;
        private int maxPositionEmbeddings = 2048;
        private double rmsNormEps = 1e-6;
        private boolean normOffset;
        private boolean tieWordEmbeddings;
        private boolean scaleEmbeddings;
        private boolean qkvBias;
        private boolean outputBias;
        private boolean mlpBias;
        private MlpActivation activation = MlpActivation.SILU;
        private boolean queryKeyNorm;
        private double queryPreAttnScalar;
        private double attnLogitSoftcapping;
        private double finalLogitSoftcapping;
        private boolean sandwichNorms;
        private boolean fusedQkv;
        private boolean fusedGateUp;
        private double partialRotaryFactor = 1;
        private List<AttentionType> layerTypes;
        private int slidingWindow;
        private RopeScaling rope = RopeScaling.none(10000.0);
        private RopeScaling localRope;
        private MoeConfig moe;
        private Integer bosTokenId;
        private List<Long> eosTokenIds = Collections.emptyList();

        Builder() {}

        /**
         * Sets the architecture name (default {@code llama}).
         *
         * @param modelType the {@code model_type}
         * @return this builder
         */
        public Builder setModelType(String modelType) {
            this.modelType = modelType;
            return this;
        }

        /**
         * Sets the width of the residual stream.
         *
         * @param hiddenSize {@code hidden_size}
         * @return this builder
         */
        public Builder setHiddenSize(int hiddenSize) {
            this.hiddenSize = hiddenSize;
            return this;
        }

        /**
         * Sets the inner width of the dense MLPs.
         *
         * @param intermediateSize {@code intermediate_size}
         * @return this builder
         */
        public Builder setIntermediateSize(int intermediateSize) {
            this.intermediateSize = intermediateSize;
            return this;
        }

        /**
         * Sets the number of decoder layers.
         *
         * @param numHiddenLayers {@code num_hidden_layers}
         * @return this builder
         */
        public Builder setNumHiddenLayers(int numHiddenLayers) {
            this.numHiddenLayers = numHiddenLayers;
            return this;
        }

        /**
         * Sets the number of query heads.
         *
         * @param numAttentionHeads {@code num_attention_heads}
         * @return this builder
         */
        public Builder setNumAttentionHeads(int numAttentionHeads) {
            this.numAttentionHeads = numAttentionHeads;
            return this;
        }

        /**
         * Sets the vocabulary size.
         *
         * @param vocabSize {@code vocab_size}
         * @return this builder
         */
        public Builder setVocabSize(int vocabSize) {
            this.vocabSize = vocabSize;
            return this;
        }

        /**
         * Sets the number of key/value heads (default: the number of query heads).
         *
         * @param numKeyValueHeads {@code num_key_value_heads}, 0 for the default
         * @return this builder
         */
        public Builder optNumKeyValueHeads(int numKeyValueHeads) {
            this.numKeyValueHeads = numKeyValueHeads;
            return this;
        }

        /**
         * Sets the head width (default: hidden size / heads).
         *
         * @param headDim {@code head_dim}, 0 for the default
         * @return this builder
         */
        public Builder optHeadDim(int headDim) {
            this.headDim = headDim;
            return this;
        }

        /**
         * Sets the trained context length (default 2048).
         *
         * @param maxPositionEmbeddings {@code max_position_embeddings}
         * @return this builder
         */
        public Builder optMaxPositionEmbeddings(int maxPositionEmbeddings) {
            this.maxPositionEmbeddings = maxPositionEmbeddings;
            return this;
        }

        /**
         * Sets the RMS norm epsilon (default 1e-6).
         *
         * @param rmsNormEps {@code rms_norm_eps}
         * @return this builder
         */
        public Builder optRmsNormEps(double rmsNormEps) {
            this.rmsNormEps = rmsNormEps;
            return this;
        }

        /**
         * Sets whether the RMS norms multiply by {@code 1 + weight} (default false).
         *
         * @param normOffset true for Gemma's norms
         * @return this builder
         */
        public Builder optNormOffset(boolean normOffset) {
            this.normOffset = normOffset;
            return this;
        }

        /**
         * Sets whether the output projection reuses the embedding table (default false).
         *
         * @param tieWordEmbeddings {@code tie_word_embeddings}
         * @return this builder
         */
        public Builder optTieWordEmbeddings(boolean tieWordEmbeddings) {
            this.tieWordEmbeddings = tieWordEmbeddings;
            return this;
        }

        /**
         * Sets whether the embeddings are multiplied by {@code sqrt(hidden_size)} (default false).
         *
         * @param scaleEmbeddings true for Gemma
         * @return this builder
         */
        public Builder optScaleEmbeddings(boolean scaleEmbeddings) {
            this.scaleEmbeddings = scaleEmbeddings;
            return this;
        }

        /**
         * Sets whether q, k and v have biases (default false).
         *
         * @param qkvBias true for biases
         * @return this builder
         */
        public Builder optQkvBias(boolean qkvBias) {
            this.qkvBias = qkvBias;
            return this;
        }

        /**
         * Sets whether {@code o_proj} has a bias (default false).
         *
         * @param outputBias true for a bias
         * @return this builder
         */
        public Builder optOutputBias(boolean outputBias) {
            this.outputBias = outputBias;
            return this;
        }

        /**
         * Sets whether the MLP projections have biases (default false).
         *
         * @param mlpBias {@code mlp_bias}
         * @return this builder
         */
        public Builder optMlpBias(boolean mlpBias) {
            this.mlpBias = mlpBias;
            return this;
        }

        /**
         * Sets the activation of the gated MLPs (default {@link MlpActivation#SILU}).
         *
         * @param activation the activation
         * @return this builder
         */
        public Builder optActivation(MlpActivation activation) {
            this.activation = activation;
            return this;
        }

        /**
         * Sets whether queries and keys get per-head RMS norms (default false).
         *
         * @param queryKeyNorm true for {@code q_norm} and {@code k_norm}
         * @return this builder
         */
        public Builder optQueryKeyNorm(boolean queryKeyNorm) {
            this.queryKeyNorm = queryKeyNorm;
            return this;
        }

        /**
         * Sets the scalar of the attention scale {@code scalar^-0.5} (default: {@code head_dim}).
         *
         * @param queryPreAttnScalar {@code query_pre_attn_scalar}, 0 for the default
         * @return this builder
         */
        public Builder optQueryPreAttnScalar(double queryPreAttnScalar) {
            this.queryPreAttnScalar = queryPreAttnScalar;
            return this;
        }

        /**
         * Sets the soft cap of the attention scores (default 0: none).
         *
         * @param cap {@code attn_logit_softcapping}
         * @return this builder
         */
        public Builder optAttnLogitSoftcapping(double cap) {
            this.attnLogitSoftcapping = cap;
            return this;
        }

        /**
         * Sets the soft cap of the output logits (default 0: none).
         *
         * @param cap {@code final_logit_softcapping}
         * @return this builder
         */
        public Builder optFinalLogitSoftcapping(double cap) {
            this.finalLogitSoftcapping = cap;
            return this;
        }

        /**
         * Sets whether each layer normalizes its attention and MLP outputs too (default false).
         *
         * @param sandwichNorms true for Gemma's four norms per layer
         * @return this builder
         */
        public Builder optSandwichNorms(boolean sandwichNorms) {
            this.sandwichNorms = sandwichNorms;
            return this;
        }

        /**
         * Sets whether q, k and v come from one fused {@code qkv_proj} (default false).
         *
         * @param fusedQkv true for Phi-3
         * @return this builder
         */
        public Builder optFusedQkv(boolean fusedQkv) {
            this.fusedQkv = fusedQkv;
            return this;
        }

        /**
         * Sets whether gate and up are one fused {@code gate_up_proj} (default false).
         *
         * @param fusedGateUp true for Phi-3
         * @return this builder
         */
        public Builder optFusedGateUp(boolean fusedGateUp) {
            this.fusedGateUp = fusedGateUp;
            return this;
        }

        /**
         * Sets the fraction of each head that is rotated (default 1).
         *
         * @param partialRotaryFactor {@code partial_rotary_factor}
         * @return this builder
         */
        public Builder optPartialRotaryFactor(double partialRotaryFactor) {
            this.partialRotaryFactor = partialRotaryFactor;
            return this;
        }

        /**
         * Sets the attention type of every layer (default: all full attention).
         *
         * @param layerTypes one entry per layer
         * @return this builder
         */
        public Builder optLayerTypes(List<AttentionType> layerTypes) {
            this.layerTypes = layerTypes;
            return this;
        }

        /**
         * Sets the window of the sliding-attention layers (default 0: none).
         *
         * @param slidingWindow {@code sliding_window}
         * @return this builder
         */
        public Builder optSlidingWindow(int slidingWindow) {
            this.slidingWindow = slidingWindow;
            return this;
        }

        /**
         * Sets the rotary settings (default: theta 10000, no scaling), of every layer unless {@link
         * #optLocalRope(RopeScaling)} sets those of the sliding layers.
         *
         * @param rope the settings
         * @return this builder
         */
        public Builder optRope(RopeScaling rope) {
            this.rope = rope;
            return this;
        }

        /**
         * Sets the rotary settings of the sliding-attention layers (default: those of {@link
         * #optRope(RopeScaling)}).
         *
         * @param localRope the settings
         * @return this builder
         */
        public Builder optLocalRope(RopeScaling localRope) {
            this.localRope = localRope;
            return this;
        }

        /**
         * Sets the mixture-of-experts settings (default null: dense).
         *
         * @param moe the settings
         * @return this builder
         */
        public Builder optMoe(MoeConfig moe) {
            this.moe = moe;
            return this;
        }

        /**
         * Sets the begin-of-sequence token id.
         *
         * @param bosTokenId {@code bos_token_id}
         * @return this builder
         */
        public Builder optBosTokenId(Integer bosTokenId) {
            this.bosTokenId = bosTokenId;
            return this;
        }

        /**
         * Sets the end-of-sequence token ids.
         *
         * @param eosTokenIds {@code eos_token_id}
         * @return this builder
         */
        public Builder optEosTokenIds(List<Long> eosTokenIds) {
            this.eosTokenIds = eosTokenIds;
            return this;
        }

        /**
         * Builds and validates the config.
         *
         * @return the config
         * @throws IllegalArgumentException naming the first invalid field
         */
        public DecoderConfig build() {
            return new DecoderConfig(this);
        }
    }
}
