package dev.djlmetal.zoo.families;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.io.SafetensorsCheckpoint;
import dev.djlmetal.zoo.testing.InMemoryTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One tiny model made with Hugging Face transformers 5.17 by {@code
 * tools/families/make_fixtures.py} (see {@code tools/families/README.md}): its checkpoint (bfloat16
 * weights, transformers 5 names and config.json, plus a transformers 4 style {@code
 * config_tf4.json}) and transformers' outputs: prompt logits and greedy tokens in float and for
 * every quantized variant, the float logits of every generation step with the key/value cache, and
 * the logits of a left-padded batch.
 *
 * <p>The quantized variants are named {@code <scope>_b<bits>_g<groupSize>}: {@code lin} quantizes
 * every linear layer and expert stack but {@code lm_head} (quantize on the fly with the defaults),
 * {@code all} also the embedding and {@code lm_head} (MLX's scope), {@code hf} the {@code
 * nn.Linear} modules of transformers but {@code lm_head} (transformers' own quantizer, which leaves
 * expert stacks and routers in float). Their expected values are transformers run on the weights
 * quantized and dequantized with MLX's algorithm (float32 scales and biases), written independently
 * of this project in numpy.
 */
final class FamilyFixture {

    /** The model families of the fixtures, one tiny model each. */
    static final List<String> CASES =
            List.of(
                    "llama",
                    "mistral",
                    "ministral",
                    "qwen2",
                    "qwen3",
                    "gemma2",
                    "gemma3",
                    "phi3",
                    "mixtral",
                    "qwen2_moe",
                    "qwen3_moe");

    /** The cases with an MLX checkpoint written by the script (directory {@code <case>-mlx}). */
    static final List<String> MLX_LAYOUTS =
            List.of("gemma3", "phi3", "mixtral", "qwen2_moe", "qwen3_moe");

    /** The mixture-of-experts cases. */
    static final List<String> MOE = List.of("mixtral", "qwen2_moe", "qwen3_moe");

    final String name;
    final Path dir;
    final JsonObject meta;
    final JsonObject config;
    private final Map<String, float[]> expected = new TreeMap<>();

    private FamilyFixture(String name) {
        this.name = name;
        this.dir = root().resolve(name);
        this.meta = readJson(dir.resolve("expected.json"));
        this.config = readJson(dir.resolve("config.json"));
        try (SafetensorsCheckpoint file =
                SafetensorsCheckpoint.open(dir.resolve("expected.safetensors"))) {
            for (String key : file.names()) {
                expected.put(key, file.toFloatArray(key));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FamilyFixture of(String name) {
        return new FamilyFixture(name);
    }

    static Path root() {
        try {
            return Paths.get(FamilyFixture.class.getResource("/dev/djlmetal/zoo/families").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonObject readJson(Path file) {
        try {
            return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean isMoe() {
        return MOE.contains(name);
    }

    int vocab() {
        return config.get("vocab_size").getAsInt();
    }

    long[] prompt() {
        return longs(meta.getAsJsonArray("prompt"));
    }

    int newTokens() {
        return meta.get("new_tokens").getAsInt();
    }

    long[][] batchIds() {
        return longRows(meta.getAsJsonArray("batch_ids"));
    }

    long[][] batchMask() {
        return longRows(meta.getAsJsonArray("batch_mask"));
    }

    /** The float logits of the prompt, {@code [S, V]}. */
    float[] floatLogits() {
        return expected.get("float.logits");
    }

    /** The float logits of the generation steps with the cache, {@code [N, V]}. */
    float[] floatSteps() {
        return expected.get("float.steps");
    }

    /** The float logits of the left-padded batch, {@code [2, S, V]}. */
    float[] floatBatch() {
        return expected.get("float.batch");
    }

    long[] floatTokens() {
        return longs(meta.getAsJsonObject("float").getAsJsonArray("tokens"));
    }

    /** Returns the names of the quantized variants of a scope. */
    List<String> variants(String scope) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : meta.getAsJsonObject("variants").entrySet()) {
            if (e.getValue().getAsJsonObject().get("scope").getAsString().equals(scope)) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    JsonObject variant(String variant) {
        JsonObject v = meta.getAsJsonObject("variants").getAsJsonObject(variant);
        if (v == null) {
            fail(name + " has no expected values for " + variant);
        }
        return v;
    }

    int bits(String variant) {
        return variant(variant).get("bits").getAsInt();
    }

    int groupSize(String variant) {
        return variant(variant).get("group_size").getAsInt();
    }

    /** Whether nothing of the model is eligible at the variant's group size (it stays float). */
    boolean sameAsFloat(String variant) {
        return variant(variant).has("same_as");
    }

    float[] logits(String variant) {
        return sameAsFloat(variant) ? floatLogits() : expected.get(variant + ".logits");
    }

    long[] tokens(String variant) {
        return sameAsFloat(variant)
                ? floatTokens()
                : longs(variant(variant).getAsJsonArray("tokens"));
    }

    float[] mlxLayoutLogits() {
        return expected.get("mlx_layout.logits");
    }

    long[] mlxLayoutTokens() {
        return longs(meta.getAsJsonObject("mlx_layout").getAsJsonArray("tokens"));
    }

    Path mlxLayoutDir() {
        return root().resolve(meta.getAsJsonObject("mlx_layout").get("dir").getAsString());
    }

    /** The weights as stored (bfloat16 values), transformers 5 names. */
    InMemoryTensors weights() {
        InMemoryTensors t = new InMemoryTensors();
        try (SafetensorsCheckpoint file =
                SafetensorsCheckpoint.open(dir.resolve("model.safetensors"))) {
            for (String key : file.names()) {
                t.putFloat(key, file.info(key).shape().getShape(), file.toFloatArray(key));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return t;
    }

    /** The weights of transformers' {@code nn.Linear} modules (their quantizer's scope). */
    List<String> linearWeights() {
        List<String> out = new ArrayList<>();
        for (JsonElement e : meta.getAsJsonArray("nn_linear_weights")) {
            out.add(e.getAsString());
        }
        return out;
    }

    /** The tensor names of the transformers 4 layout, checked by transformers itself. */
    List<String> transformers4Names() {
        List<String> out = new ArrayList<>();
        JsonObject layout = meta.getAsJsonObject("tf4_layout");
        for (JsonElement e : layout.getAsJsonArray("names")) {
            out.add(e.getAsString());
        }
        return out;
    }

    private static long[] longs(JsonArray array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsLong();
        }
        return out;
    }

    private static long[][] longRows(JsonArray rows) {
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = longs(rows.get(i).getAsJsonArray());
        }
        return out;
    }

    /**
     * Asserts the relative error criterion of the fixtures: {@code max |actual - expected| <= 1e-4
     * * max |expected|} over the compared values.
     *
     * @param what what is compared, for the message
     * @param expected the expected values
     * @param actual the actual values
     */
    static void assertLogitsClose(String what, float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            fail(what + ": " + actual.length + " logits, expected " + expected.length);
        }
        double scale = 0;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            if (!(diff <= worst)) {
                worst = diff;
                at = i;
            }
        }
        if (!(worst <= 1e-4 * scale)) {
            fail(
                    String.format(
                            "%s: relative logit error %.3g > 1e-4 (at %d: expected %s, got %s;"
                                    + " largest |logit| %.4g)",
                            what, worst / scale, at, expected[at], actual[at], scale));
        }
    }
}
