package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.engine.loading.CheckpointLoader;
import dev.djlmetal.engine.loading.CheckpointTensors;
import dev.djlmetal.engine.loading.LoadedCheckpoint;
import dev.djlmetal.zoo.testing.InMemoryTensors;
import dev.djlmetal.zoo.testing.LogitBounds;
import dev.djlmetal.zoo.testing.ReferenceLlama;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import dev.djlmetal.zoo.testing.TinyWeights;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlamaCheckpointLoadingTest {

    private static final long[] IDS = {1, 5, 17, 42, 95, 3};

    private static float[] logits(Block block, NDManager manager) {
        CausalLM model = (CausalLM) block;
        return model.forward(manager.create(IDS, new Shape(1, IDS.length)), KvCache.empty())
                .head()
                .toFloatArray();
    }

    private static float[] referenceBlockLogits(JsonObject config, TinyWeights w, NDManager m) {
        CausalLM model = new CausalLM(DecoderConfig.fromJson(config));
        w.applyTo(model, m);
        return logits(model, m);
    }

    private static LoadedCheckpoint load(
            JsonObject config, CheckpointTensors tensors, Map<String, ?> options, NDManager m) {
        return CheckpointLoader.load(config, tensors, options, m);
    }

    @Test
    void floatCheckpointMatchesPlainJavaReference() {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        DecoderConfig config = DecoderConfig.fromJson(json);
        TinyWeights w = TinyCheckpoints.randomWeights(config, 3);
        double[][] expected = new ReferenceLlama(config, w).logits(IDS);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoadedCheckpoint loaded =
                    load(json, TinyCheckpoints.floatTensors(w), Collections.emptyMap(), manager);
            assertEquals(CheckpointFormat.FLOAT, loaded.getFormat());
            float[] actual = logits(loaded.getBlock(), manager);
            int vocab = config.getVocabSize();
            double[] flat = new double[IDS.length * vocab];
            for (int s = 0; s < IDS.length; s++) {
                System.arraycopy(expected[s], 0, flat, s * vocab, vocab);
            }
            LogitBounds.of(config, IDS.length, 1)
                    .assertClose(flat, actual, vocab, "loaded float checkpoint");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void dequantizedMlxCheckpointEqualsFloatModelWithDequantizedWeights(int bits) {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 5);
        TinyCheckpoints.QuantizedFixture fixture =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, bits, 32);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoadedCheckpoint loaded =
                    load(fixture.config, fixture.tensors, Map.of("dequantize", "true"), manager);
            assertEquals(CheckpointFormat.MLX, loaded.getFormat());
            float[] expected = referenceBlockLogits(json, fixture.dequantized, manager);
            DecoderConfig config = DecoderConfig.fromJson(json);
            LogitBounds.of(config, IDS.length, 2)
                    .assertClose(
                            expected,
                            logits(loaded.getBlock(), manager),
                            config.getVocabSize(),
                            "dequantized MLX checkpoint");
        }
    }

    @Test
    void transformersAndMlxFormsOfTheSameNumbersGiveTheSameLogits() {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 9);
        TinyCheckpoints.QuantizedFixture mlx =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, 4, 64);
        TinyCheckpoints.QuantizedFixture hf =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.TRANSFORMERS, 4, 64);
        // same numbers: give the transformers form the embedding and lm_head MLX dequantizes to
        for (String name : new String[] {"model.embed_tokens.weight", "lm_head.weight"}) {
            hf.tensors.putFloat(name, w.shape(name), mlx.dequantized.get(name));
        }
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Map<String, String> options = Map.of("dequantize", "true");
            LoadedCheckpoint a = load(mlx.config, mlx.tensors, options, manager);
            LoadedCheckpoint b = load(hf.config, hf.tensors, options, manager);
            assertEquals(CheckpointFormat.TRANSFORMERS, b.getFormat());
            DecoderConfig config = DecoderConfig.fromJson(json);
            LogitBounds.of(config, IDS.length, 2)
                    .assertClose(
                            logits(a.getBlock(), manager),
                            logits(b.getBlock(), manager),
                            config.getVocabSize(),
                            "transformers form against MLX form");
        }
    }

    @Test
    void missingTensorIsNamed() {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        InMemoryTensors t = floatTensors(json);
        t.remove("model.layers.1.mlp.up_proj.weight");
        assertError(
                json,
                t,
                Collections.emptyMap(),
                "Missing tensor model.layers.1.mlp.up_proj.weight");
    }

    @Test
    void wrongShapeIsNamed() {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        InMemoryTensors t = floatTensors(json);
        t.putFloat("model.norm.weight", new long[] {32}, new float[32]);
        assertError(
                json,
                t,
                Collections.emptyMap(),
                "model.norm.weight in memory.safetensors has shape (32)");
    }

    @Test
    void configContradictingThePackedWidthIsNamed() {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 5);
        TinyCheckpoints.QuantizedFixture fixture =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, 4, 32);
        fixture.config.getAsJsonObject("quantization").add("bits", new JsonPrimitive(8));
        assertError(fixture.config, fixture.tensors, Collections.emptyMap(), "fits bits=4");
    }

    @Test
    void quantizedTensorsWithoutQuantizationConfigAreRejected() {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 5);
        TinyCheckpoints.QuantizedFixture fixture =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, 4, 32);
        fixture.config.remove("quantization");
        assertError(
                fixture.config,
                fixture.tensors,
                Collections.emptyMap(),
                ".scales in memory.safetensors marks a quantized module");
    }

    @Test
    void unexpectedTensorIsNamed() {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        InMemoryTensors t = floatTensors(json);
        t.putFloat("model.extra.weight", new long[] {2}, new float[2]);
        assertError(json, t, Collections.emptyMap(), "Unexpected tensor model.extra.weight");
    }

    @Test
    void unsupportedModelTypeIsNamed() {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        InMemoryTensors t = floatTensors(json);
        json.addProperty("model_type", "gpt_neox");
        assertError(json, t, Collections.emptyMap(), "Unsupported model_type 'gpt_neox'");
    }

    @Test
    void unknownOptionListsTheAllowedOnes() {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        Map<String, String> options = new HashMap<>();
        options.put("bitz", "4");
        IllegalArgumentException e =
                assertError(json, floatTensors(json), options, "Unknown option bitz");
        assertTrue(e.getMessage().contains("groupSize"), e.getMessage());
        assertTrue(e.getMessage().contains("maxNewTokens"), e.getMessage());
    }

    @Test
    void failedLoadLeavesNoArraysBehind() {
        Assumptions.assumeFalse(Backends.isAvailable(BackendKind.METAL), "Metal is available");
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        Map<String, String> options = Map.of("bits", "4", "backend", "metal");
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> load(json, floatTensors(json), options, manager));
            assertTrue(e.getMessage().contains("backend=metal"), e.getMessage());
            assertEquals(0, manager.getManagedArrays().size());
        }
    }

    private static InMemoryTensors floatTensors(JsonObject json) {
        return TinyCheckpoints.floatTensors(
                TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 1));
    }

    private static IllegalArgumentException assertError(
            JsonObject json, CheckpointTensors t, Map<String, ?> options, String expected) {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> load(json, t, options, manager));
            assertTrue(e.getMessage().contains(expected), e.getMessage());
            return e;
        }
    }
}
