package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import com.google.gson.JsonObject;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.engine.loading.CheckpointLoader;
import dev.djlmetal.engine.loading.LoadedCheckpoint;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.nn.BlockPaths;
import dev.djlmetal.nn.MetalQuantizedEmbedding;
import dev.djlmetal.nn.MetalQuantizedLinear;
import dev.djlmetal.quant.ReferenceQuantizer;
import dev.djlmetal.zoo.testing.LogitBounds;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import dev.djlmetal.zoo.testing.TinyWeights;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuantizedLoadingTest {

    private static final long[] IDS = {1, 5, 17, 42, 95, 3};

    static float[] logits(Block block, NDManager manager) {
        return ((CausalLM) block)
                .forward(manager.create(IDS, new Shape(1, IDS.length)), KvCache.empty())
                .head()
                .toFloatArray();
    }

    static float[] floatLogits(JsonObject config, TinyWeights w, NDManager manager) {
        CausalLM model = new CausalLM(DecoderConfig.fromJson(config));
        w.applyTo(model, manager);
        return logits(model, manager);
    }

    /**
     * Asserts logits of {@link #IDS} computed two ways agree within the rounding bound of the
     * model's forward pass ({@link LogitBounds}).
     */
    static void assertClose(JsonObject config, float[] expected, float[] actual) {
        DecoderConfig c = DecoderConfig.fromJson(config);
        LogitBounds.of(c, IDS.length, 2)
                .assertClose(
                        expected, actual, c.getVocabSize(), "logits of " + IDS.length + " ids");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void mlxCheckpointRunsQuantizedLikeTheDequantizedFloatModel(int bits) {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 5);
        TinyCheckpoints.QuantizedFixture f =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, bits, 32);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoadedCheckpoint loaded =
                    CheckpointLoader.load(f.config, f.tensors, Collections.emptyMap(), manager);
            Map<String, Block> blocks = BlockPaths.blocks(loaded.getBlock());
            assertTrue(blocks.get("model.embed_tokens") instanceof MetalQuantizedEmbedding);
            assertTrue(blocks.get("model.layers.1.mlp.down_proj") instanceof MetalQuantizedLinear);
            assertEquals(2 * 7 + 1, loaded.getQuantizedModules());
            assertEquals(
                    Backends.resolve(BackendKind.AUTO, manager.getDevice()),
                    loaded.getBackendKind());
            assertTrue(loaded.getSummary().contains("without re-quantizing"));
            assertClose(
                    json,
                    floatLogits(json, f.dequantized, manager),
                    logits(loaded.getBlock(), manager));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void transformersCheckpointRunsQuantizedLikeTheDequantizedFloatModel(int bits) {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 6);
        TinyCheckpoints.QuantizedFixture f =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.TRANSFORMERS, bits, 64);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoadedCheckpoint loaded =
                    CheckpointLoader.load(f.config, f.tensors, Collections.emptyMap(), manager);
            Map<String, Block> blocks = BlockPaths.blocks(loaded.getBlock());
            assertTrue(blocks.get("lm_head") instanceof ai.djl.nn.core.Linear);
            Block q = blocks.get("model.layers.0.self_attn.q_proj");
            assertTrue(q instanceof MetalQuantizedLinear);
            assertClose(
                    json,
                    floatLogits(json, f.dequantized, manager),
                    logits(loaded.getBlock(), manager));
        }
    }

    @Test
    void mixedBitWidthsFromPerModuleOverrides() {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 8);
        Map<String, Integer> overrides =
                Map.of("model.layers.0.mlp.down_proj", 8, "model.layers.1.self_attn.v_proj", 3);
        TinyCheckpoints.QuantizedFixture f =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, 4, 64, overrides);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoadedCheckpoint loaded =
                    CheckpointLoader.load(f.config, f.tensors, Collections.emptyMap(), manager);
            Map<String, Block> blocks = BlockPaths.blocks(loaded.getBlock());
            MetalQuantizedLinear down =
                    (MetalQuantizedLinear) blocks.get("model.layers.0.mlp.down_proj");
            assertEquals(8, down.getQuantizedWeight().bits());
            assertClose(
                    json,
                    floatLogits(json, f.dequantized, manager),
                    logits(loaded.getBlock(), manager));
        }
    }

    @Test
    void bf16MlxCheckpointOnDiskEqualsItsValuesInMemory(@TempDir Path dir) throws Exception {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 14);
        TinyCheckpoints.QuantizedFixture f =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, 3, 32);
        f.tensors.writeTo(dir, f.config, SafetensorsDType.BF16, 40_000);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoadedCheckpoint fromDisk = CheckpointLoader.load(dir, Map.of(), manager);
            LoadedCheckpoint inMemory =
                    CheckpointLoader.load(f.config, f.tensors.roundedToBf16(), Map.of(), manager);
            assertEquals(fromDisk.getQuantizedModules(), inMemory.getQuantizedModules());
            assertArrayEquals(
                    logits(inMemory.getBlock(), manager), logits(fromDisk.getBlock(), manager));
        }
    }

    @Test
    void quantizedModelCachedDecodingEqualsFullRecomputation() {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 15);
        TinyCheckpoints.QuantizedFixture f =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, 4, 32);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            CausalLM model =
                    (CausalLM)
                            CheckpointLoader.load(f.config, f.tensors, Map.of(), manager)
                                    .getBlock();
            int vocab = 96;
            NDArray all = manager.create(IDS, new Shape(1, IDS.length));
            float[] full = model.forward(all, KvCache.empty()).head().toFloatArray();
            NDList out = model.forward(all.get(":, :3"), KvCache.empty());
            for (int s = 3; s < IDS.length; s++) {
                out = model.forward(all.get(":, {}:{}", s, s + 1), KvCache.fromOutput(out));
                float[] expected = Arrays.copyOfRange(full, s * vocab, (s + 1) * vocab);
                assertClose(json, expected, out.head().toFloatArray());
            }
        }
    }

    @Test
    void transformersConfigDequantizeFlagRunsInFloat() {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 16);
        TinyCheckpoints.QuantizedFixture f =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.TRANSFORMERS, 8, 64);
        f.config.getAsJsonObject("quantization_config").addProperty("dequantize", true);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoadedCheckpoint loaded = CheckpointLoader.load(f.config, f.tensors, Map.of(), manager);
            assertEquals(0, loaded.getQuantizedModules());
            Block q = BlockPaths.blocks(loaded.getBlock()).get("model.layers.0.self_attn.q_proj");
            assertTrue(q instanceof ai.djl.nn.core.Linear);
            assertClose(
                    json,
                    floatLogits(json, f.dequantized, manager),
                    logits(loaded.getBlock(), manager));
        }
    }

    @Test
    void formatOptionMustMatchTheCheckpoint() {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 17);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    CheckpointLoader.load(
                                            json,
                                            TinyCheckpoints.floatTensors(w),
                                            Map.of("format", "mlx"),
                                            manager));
            assertTrue(e.getMessage().contains("is a float checkpoint"), e.getMessage());
        }
    }

    @Test
    void onTheFlyQuantizationMatchesReferenceQuantizedWeights() {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        DecoderConfig config = DecoderConfig.fromJson(json);
        TinyWeights w = TinyCheckpoints.randomWeights(config, 12);
        TinyWeights expected = new TinyWeights();
        for (String name : w.all().keySet()) {
            long[] shape = w.shape(name);
            boolean linear = name.endsWith("_proj.weight") && shape[1] % 64 == 0;
            float[] values = w.get(name);
            if (linear) {
                values =
                        ReferenceQuantizer.quantize(values, (int) shape[0], (int) shape[1], 4, 64)
                                .dequantize();
            }
            expected.put(name, shape, values);
        }
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LoadedCheckpoint loaded =
                    CheckpointLoader.load(
                            json, TinyCheckpoints.floatTensors(w), Map.of("bits", "4"), manager);
            assertEquals(CheckpointFormat.FLOAT, loaded.getFormat());
            assertEquals(2 * 7, loaded.getQuantizedModules());
            assertClose(
                    json, floatLogits(json, expected, manager), logits(loaded.getBlock(), manager));
        }
    }
}
