package dev.djlmetal.zoo.decoder;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The hyper-parameters of a Llama-family causal language model, read from a Hugging Face {@code
 * config.json}.
 *
 * <p>Supported {@code model_type}s: {@code llama} (Llama 2, 3, 3.1, 3.2, SmolLM, TinyLlama), {@code
 * mistral} and {@code qwen2} (q/k/v projections with biases). Both config styles are read:
 * transformers 4 (top-level {@code rope_theta} and {@code rope_scaling}) and transformers 5 ({@code
 * rope_parameters: {rope_theta, rope_type, ...}}).
 *
 * <p>Mistral's and Qwen2's sliding-window attention is not implemented: every position attends to
 * all earlier positions. That equals sliding-window attention as long as prompt plus generated
 * tokens fit into {@code sliding_window} (4096 or more for the published models); longer sequences
 * would differ from the reference implementation.
 */
public final class DecoderConfig {

    /** The supported {@code model_type} values. */
    public static final List<String> SUPPORTED_MODEL_TYPES =
            Collections.unmodifiableList(Arrays.asList("llama", "mistral", "qwen2"));

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
    private final RopeScaling rope;
    private final boolean tieWordEmbeddings;
    private final boolean qkvBias;
    private final boolean outputBias;
    private final boolean mlpBias;
    private final Integer bosTokenId;
    private final List<Long> eosTokenIds;

    private DecoderConfig(Builder b) {
        this.modelType = b.modelType;
        this.hiddenSize = b.hiddenSize;
        this.intermediateSize = b.intermediateSize;
        this.numHiddenLayers = b.numHiddenLayers;
        this.numAttentionHeads = b.numAttentionHeads;
        this.numKeyValueHeads = b.numKeyValueHeads > 0 ? b.numKeyValueHeads : b.numAttentionHeads;
        this.headDim = b.headDim > 0 ? b.headDim : divide(b.hiddenSize, b.numAttentionHeads);
        this.vocabSize = b.vocabSize;
        this.maxPositionEmbeddings = b.maxPositionEmbeddings;
        this.rmsNormEps = b.rmsNormEps;
        this.rope = b.rope;
        this.tieWordEmbeddings = b.tieWordEmbeddings;
        this.qkvBias = b.qkvBias;
        this.outputBias = b.outputBias;
        this.mlpBias = b.mlpBias;
        this.bosTokenId = b.bosTokenId;
        this.eosTokenIds = Collections.unmodifiableList(new ArrayList<>(b.eosTokenIds));
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
        if (!(rmsNormEps > 0)) {
            throw new IllegalArgumentException("rms_norm_eps must be positive, got " + rmsNormEps);
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
     * Reads a {@code config.json} file.
     *
     * @param file the path of config.json
     * @return the config
     * @throws IOException when the file cannot be read
     * @throws IllegalArgumentException naming the file and the problem when the config is malformed
     *     or describes an unsupported model
     */
    public static DecoderConfig fromFile(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonObject json = JsonParser.parseReader(reader).getAsJsonObject();
            return fromJson(json);
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
     * Reads a parsed {@code config.json}.
     *
     * @param json the parsed config
     * @return the config
     * @throws IllegalArgumentException naming the field, the bad value and what is allowed when the
     *     config is malformed or describes an unsupported model
     */
    public static DecoderConfig fromJson(JsonObject json) {
        String modelType = string(json, "model_type", null);
        if (modelType == null) {
            throw new IllegalArgumentException(
                    "config.json has no model_type; supported: " + SUPPORTED_MODEL_TYPES);
        }
        modelType = modelType.toLowerCase(Locale.ROOT);
        if (!SUPPORTED_MODEL_TYPES.contains(modelType)) {
            throw new IllegalArgumentException(
                    "Unsupported model_type '"
                            + modelType
                            + "'; supported: "
                            + SUPPORTED_MODEL_TYPES);
        }
        String act = string(json, "hidden_act", "silu");
        if (!"silu".equals(act)) {
            throw new IllegalArgumentException(
                    "Unsupported hidden_act '"
                            + act
                            + "' for model_type '"
                            + modelType
                            + "'; supported: [silu]");
        }
        boolean qwen2 = "qwen2".equals(modelType);
        boolean attentionBias = bool(json, "attention_bias", false);
        Builder b =
                builder()
                        .setModelType(modelType)
                        .setHiddenSize(requiredInt(json, "hidden_size"))
                        .setIntermediateSize(requiredInt(json, "intermediate_size"))
                        .setNumHiddenLayers(requiredInt(json, "num_hidden_layers"))
                        .setNumAttentionHeads(requiredInt(json, "num_attention_heads"))
                        .setVocabSize(requiredInt(json, "vocab_size"))
                        .optNumKeyValueHeads(integer(json, "num_key_value_heads", 0))
                        .optHeadDim(integer(json, "head_dim", 0))
                        .optMaxPositionEmbeddings(integer(json, "max_position_embeddings", 2048))
                        .optRmsNormEps(number(json, "rms_norm_eps", 1e-6))
                        .optRope(readRope(json))
                        .optTieWordEmbeddings(bool(json, "tie_word_embeddings", false))
                        .optQkvBias(qwen2 || attentionBias)
                        .optOutputBias(!qwen2 && attentionBias)
                        .optMlpBias(bool(json, "mlp_bias", false));
        JsonElement bos = json.get("bos_token_id");
        if (bos != null && bos.isJsonPrimitive()) {
            b.optBosTokenId(bos.getAsInt());
        }
        JsonElement eos = json.get("eos_token_id");
        if (eos != null && eos.isJsonArray()) {
            List<Long> ids = new ArrayList<>();
            for (JsonElement e : (JsonArray) eos) {
                ids.add(e.getAsLong());
            }
            b.optEosTokenIds(ids);
        } else if (eos != null && eos.isJsonPrimitive()) {
            b.optEosTokenIds(Collections.singletonList(eos.getAsLong()));
        }
        return b.build();
    }

    private static RopeScaling readRope(JsonObject json) {
        JsonObject params = object(json, "rope_parameters");
        if (params != null && !params.has("rope_theta") && !params.has("rope_type")) {
            JsonObject full = object(params, "full_attention");
            if (full == null) {
                throw new IllegalArgumentException(
                        "rope_parameters has neither rope_theta nor a full_attention entry: "
                                + params);
            }
            params = full;
        }
        double theta;
        JsonObject scaling;
        if (params != null) {
            theta = number(params, "rope_theta", number(json, "rope_theta", 10000.0));
            scaling = params;
        } else {
            theta = number(json, "rope_theta", 10000.0);
            scaling = object(json, "rope_scaling");
        }
        if (scaling == null) {
            return RopeScaling.none(theta);
        }
        String rawType = string(scaling, "rope_type", string(scaling, "type", null));
        String type = RopeScaling.checkType(rawType);
        switch (type) {
            case "linear":
                return RopeScaling.linear(theta, requiredNumber(scaling, "factor"));
            case "llama3":
                return RopeScaling.llama3(
                        theta,
                        requiredNumber(scaling, "factor"),
                        requiredNumber(scaling, "low_freq_factor"),
                        requiredNumber(scaling, "high_freq_factor"),
                        requiredNumber(scaling, "original_max_position_embeddings"));
            default:
                return RopeScaling.none(theta);
        }
    }

    private static JsonObject object(JsonObject json, String key) {
        JsonElement e = json.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw new IllegalArgumentException(key + " must be a JSON object, got " + e);
        }
        return e.getAsJsonObject();
    }

    private static String string(JsonObject json, String key, String def) {
        JsonElement e = json.get(key);
        return e == null || e.isJsonNull() ? def : e.getAsString();
    }

    private static int requiredInt(JsonObject json, String key) {
        JsonElement e = json.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("config.json is missing the required field " + key);
        }
        return asInt(key, e);
    }

    private static int integer(JsonObject json, String key, int def) {
        JsonElement e = json.get(key);
        return e == null || e.isJsonNull() ? def : asInt(key, e);
    }

    private static int asInt(String key, JsonElement e) {
        try {
            return e.getAsInt();
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
            throw new IllegalArgumentException(key + " must be an integer, got " + e, ex);
        }
    }

    private static double requiredNumber(JsonObject json, String key) {
        JsonElement e = json.get(key);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("rope scaling is missing the field " + key);
        }
        return number(json, key, 0);
    }

    private static double number(JsonObject json, String key, double def) {
        JsonElement e = json.get(key);
        if (e == null || e.isJsonNull()) {
            return def;
        }
        try {
            return e.getAsDouble();
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
            throw new IllegalArgumentException(key + " must be a number, got " + e, ex);
        }
    }

    private static boolean bool(JsonObject json, String key, boolean def) {
        JsonElement e = json.get(key);
        return e == null || e.isJsonNull() ? def : e.getAsBoolean();
    }

    /**
     * Returns the architecture name.
     *
     * @return one of {@link #SUPPORTED_MODEL_TYPES}
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
     * Returns the inner width of the MLP.
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
     * Returns the rotary embedding settings.
     *
     * @return the base frequency and scaling
     */
    public RopeScaling getRope() {
        return rope;
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
                + ", "
                + rope
                + '}';
    }

    /** Builds a {@link DecoderConfig} in code. */
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
        private RopeScaling rope = RopeScaling.none(10000.0);
        private boolean tieWordEmbeddings;
        private boolean qkvBias;
        private boolean outputBias;
        private boolean mlpBias;
        private Integer bosTokenId;
        private List<Long> eosTokenIds = Collections.emptyList();

        Builder() {}

        /**
         * Sets the architecture name.
         *
         * @param modelType one of {@link #SUPPORTED_MODEL_TYPES}
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
         * Sets the inner width of the MLP.
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
         * Sets the rotary embedding settings (default: theta 10000, no scaling).
         *
         * @param rope the settings
         * @return this builder
         */
        public Builder optRope(RopeScaling rope) {
            this.rope = rope;
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
         * Sets the begin-of-sequence token id.
         *
         * @param bosTokenId {@code bos_token_id}
         * @return this builder
         */
        public Builder optBosTokenId(int bosTokenId) {
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
            if (!SUPPORTED_MODEL_TYPES.contains(modelType)) {
                throw new IllegalArgumentException(
                        "Unsupported model_type '"
                                + modelType
                                + "'; supported: "
                                + SUPPORTED_MODEL_TYPES);
            }
            return new DecoderConfig(this);
        }
    }
}
