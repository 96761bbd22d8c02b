package dev.djlmetal.zoo.families;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.MlpActivation;
import dev.djlmetal.zoo.decoder.RopeScaling;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Typed access to a Hugging Face {@code config.json}, with the readings the families share: the
 * sizes every decoder has, the rotary settings in the transformers 4 style (top-level {@code
 * rope_theta} and {@code rope_scaling}) and the transformers 5 style ({@code rope_parameters},
 * possibly nested per layer type), and the layer types. Every error names the model type, the field
 * and the value.
 */
final class ConfigJson {

    private final JsonObject json;
    private final String modelType;

    ConfigJson(JsonObject json) {
        this.json = json;
        JsonElement type = json.get("model_type");
        if (type == null || !type.isJsonPrimitive()) {
            throw new IllegalArgumentException("config.json has no model_type");
        }
        this.modelType = type.getAsString().toLowerCase(Locale.ROOT);
    }

    String modelType() {
        return modelType;
    }

    IllegalArgumentException error(String message) {
        return new IllegalArgumentException("model_type '" + modelType + "': " + message);
    }

    boolean has(String key) {
        JsonElement e = json.get(key);
        return e != null && !e.isJsonNull();
    }

    int requiredInt(String key) {
        if (!has(key)) {
            throw error("config.json is missing the required field " + key);
        }
        return asInt(key, json.get(key));
    }

    int integer(String key, int def) {
        return has(key) ? asInt(key, json.get(key)) : def;
    }

    private int asInt(String key, JsonElement e) {
        try {
            return e.getAsInt();
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
            throw error(key + " must be an integer, got " + e);
        }
    }

    double number(String key, double def) {
        return number(json, key, def);
    }

    private double number(JsonObject object, String key, double def) {
        JsonElement e = object.get(key);
        if (e == null || e.isJsonNull()) {
            return def;
        }
        try {
            return e.getAsDouble();
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
            throw error(key + " must be a number, got " + e);
        }
    }

    boolean bool(String key, boolean def) {
        if (!has(key)) {
            return def;
        }
        JsonElement e = json.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw error(key + " must be true or false, got " + e);
        }
        return e.getAsBoolean();
    }

    String string(String key, String def) {
        return has(key) ? json.get(key).getAsString() : def;
    }

    JsonObject object(String key) {
        return object(json, key);
    }

    private JsonObject object(JsonObject parent, String key) {
        JsonElement e = parent.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw error(key + " must be a JSON object, got " + e);
        }
        return e.getAsJsonObject();
    }

    Set<Integer> integerSet(String key) {
        if (!has(key)) {
            return Collections.emptySet();
        }
        JsonElement e = json.get(key);
        if (!e.isJsonArray()) {
            throw error(key + " must be a list of integers, got " + e);
        }
        Set<Integer> out = new LinkedHashSet<>();
        for (JsonElement item : e.getAsJsonArray()) {
            out.add(asInt(key, item));
        }
        return out;
    }

    private double[] doubles(JsonObject object, String key) {
        JsonElement e = object.get(key);
        if (e == null || !e.isJsonArray()) {
            throw error("rope scaling longrope needs the list " + key + ", got " + e);
        }
        JsonArray array = e.getAsJsonArray();
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsDouble();
        }
        return out;
    }

    /**
     * Reads the fields every decoder has: sizes, norm epsilon, tied embeddings, token ids and the
     * activation ({@code hidden_act}, or Gemma's {@code hidden_activation}), checked against the
     * ones the family supports.
     */
    DecoderConfig.Builder decoder(MlpActivation... supported) {
        String act = string("hidden_activation", string("hidden_act", supported[0].configName()));
        MlpActivation activation;
        try {
            activation = MlpActivation.fromConfigName(act);
        } catch (IllegalArgumentException e) {
            activation = null;
        }
        List<MlpActivation> allowed = List.of(supported);
        if (activation == null || !allowed.contains(activation)) {
            List<String> names = new ArrayList<>();
            allowed.forEach(a -> names.add(a.configName()));
            throw error("unsupported hidden_act '" + act + "'; supported: " + names);
        }
        DecoderConfig.Builder b =
                DecoderConfig.builder()
                        .setModelType(modelType)
                        .setHiddenSize(requiredInt("hidden_size"))
                        .setIntermediateSize(requiredInt("intermediate_size"))
                        .setNumHiddenLayers(requiredInt("num_hidden_layers"))
                        .setNumAttentionHeads(requiredInt("num_attention_heads"))
                        .setVocabSize(requiredInt("vocab_size"))
                        .optNumKeyValueHeads(integer("num_key_value_heads", 0))
                        .optHeadDim(integer("head_dim", 0))
                        .optMaxPositionEmbeddings(integer("max_position_embeddings", 2048))
                        .optRmsNormEps(number("rms_norm_eps", 1e-6))
                        .optTieWordEmbeddings(bool("tie_word_embeddings", false))
                        .optActivation(activation);
        JsonElement bos = json.get("bos_token_id");
        if (bos != null && bos.isJsonPrimitive()) {
            b.optBosTokenId(bos.getAsInt());
        }
        JsonElement eos = json.get("eos_token_id");
        if (eos != null && eos.isJsonArray()) {
            List<Long> ids = new ArrayList<>();
            for (JsonElement e : eos.getAsJsonArray()) {
                ids.add(e.getAsLong());
            }
            b.optEosTokenIds(ids);
        } else if (eos != null && eos.isJsonPrimitive()) {
            b.optEosTokenIds(Collections.singletonList(eos.getAsLong()));
        }
        return b;
    }

    /** Returns {@code sliding_window}, 0 when absent or null. */
    int slidingWindow() {
        return integer("sliding_window", 0);
    }

    /**
     * Returns the layer types: transformers 5's {@code layer_types} when config.json has them, else
     * the family's rule for the layer index.
     */
    List<AttentionType> layerTypes(IntFunction<AttentionType> fallback) {
        int layers = requiredInt("num_hidden_layers");
        List<AttentionType> types = new ArrayList<>(layers);
        if (has("layer_types")) {
            JsonElement e = json.get("layer_types");
            if (!e.isJsonArray() || e.getAsJsonArray().size() != layers) {
                throw error("layer_types must list one type per layer (" + layers + "), got " + e);
            }
            for (JsonElement item : e.getAsJsonArray()) {
                try {
                    types.add(AttentionType.fromConfigName(item.getAsString()));
                } catch (IllegalArgumentException ex) {
                    throw error(ex.getMessage());
                }
            }
            return types;
        }
        for (int i = 0; i < layers; i++) {
            types.add(fallback.apply(i));
        }
        return types;
    }

    /**
     * Returns the layer types of the Qwen families: {@code layer_types}, else transformers 4's
     * {@code use_sliding_window} with {@code max_window_layers} (layers from that index on slide).
     */
    List<AttentionType> qwenLayerTypes() {
        boolean sliding = bool("use_sliding_window", false);
        int first = integer("max_window_layers", requiredInt("num_hidden_layers"));
        return layerTypes(i -> sliding && i >= first ? AttentionType.SLIDING : AttentionType.FULL);
    }

    /**
     * Returns the rotary settings of a kind of layer: transformers 5's {@code rope_parameters} (its
     * entry for the layer type when nested per type) or transformers 4's {@code rope_theta} and
     * {@code rope_scaling}.
     *
     * @param type the layer type, for nested {@code rope_parameters}
     * @param defaultTheta the family's base frequency when config.json has none
     */
    RopeScaling rope(AttentionType type, double defaultTheta) {
        JsonObject params = ropeParameters(type);
        double theta;
        JsonObject scaling;
        if (params != null) {
            theta = number(params, "rope_theta", number("rope_theta", defaultTheta));
            scaling = params;
        } else {
            theta = number("rope_theta", defaultTheta);
            scaling = object("rope_scaling");
        }
        return scaling(theta, scaling);
    }

    /** Returns the {@code rope_parameters} entry of a layer type, or null in the tf4 style. */
    JsonObject ropeParameters(AttentionType type) {
        JsonObject params = object("rope_parameters");
        if (params == null || params.has("rope_theta") || params.has("rope_type")) {
            return params;
        }
        JsonObject nested = object(params, type.configName());
        if (nested == null) {
            nested = object(params, AttentionType.FULL.configName());
        }
        if (nested == null) {
            throw error(
                    "rope_parameters has neither rope_theta nor an entry for "
                            + type.configName()
                            + ": "
                            + params);
        }
        return nested;
    }

    private RopeScaling scaling(double theta, JsonObject scaling) {
        if (scaling == null) {
            return RopeScaling.none(theta);
        }
        String raw = scaling.has("rope_type") ? scaling.get("rope_type").getAsString() : null;
        if (raw == null && scaling.has("type")) {
            raw = scaling.get("type").getAsString();
        }
        String type;
        try {
            type = RopeScaling.checkType(raw);
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
        switch (type) {
            case "linear":
                return RopeScaling.linear(theta, required(scaling, "factor"));
            case "llama3":
                return RopeScaling.llama3(
                        theta,
                        required(scaling, "factor"),
                        required(scaling, "low_freq_factor"),
                        required(scaling, "high_freq_factor"),
                        // inside rope_scaling in Llama 3.1's configs; transformers also reads it
                        // from the top level
                        scaling.has("original_max_position_embeddings")
                                ? required(scaling, "original_max_position_embeddings")
                                : requiredInt("original_max_position_embeddings"));
            case "longrope":
                double maxPositions = integer("max_position_embeddings", 2048);
                double original =
                        number(
                                scaling,
                                "original_max_position_embeddings",
                                number("original_max_position_embeddings", maxPositions));
                return RopeScaling.longrope(
                        theta,
                        doubles(scaling, "short_factor"),
                        doubles(scaling, "long_factor"),
                        original,
                        number(scaling, "attention_factor", Double.NaN),
                        number(scaling, "factor", Double.NaN),
                        maxPositions);
            default:
                return RopeScaling.none(theta);
        }
    }

    private double required(JsonObject scaling, String key) {
        if (!scaling.has(key) || scaling.get(key).isJsonNull()) {
            throw error("rope scaling is missing the field " + key + ": " + scaling);
        }
        return number(scaling, key, 0);
    }

    /**
     * Returns {@code partial_rotary_factor}: from {@code rope_parameters} (transformers 5) or the
     * top level (transformers 4), 1 when absent.
     */
    double partialRotaryFactor() {
        JsonObject params = ropeParameters(AttentionType.FULL);
        if (params != null && params.has("partial_rotary_factor")) {
            return number(params, "partial_rotary_factor", 1);
        }
        return number("partial_rotary_factor", 1);
    }

    /** Fails when a boolean field asks for a feature this project does not implement. */
    void rejectTrue(String key, String why) {
        if (bool(key, false)) {
            throw error(key + "=true is not supported: " + why);
        }
    }
}
