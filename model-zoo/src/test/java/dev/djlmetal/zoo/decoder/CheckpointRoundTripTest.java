package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.engine.loading.CheckpointLoader;
import dev.djlmetal.engine.loading.CheckpointWriter;
import dev.djlmetal.engine.loading.LoadedCheckpoint;
import dev.djlmetal.engine.loading.SafetensorsTensors;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import dev.djlmetal.zoo.testing.TinyWeights;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRoundTripTest {

    @TempDir Path dir;

    @Test
    void mlxCheckpointSavedAsMlxAndTransformersReloadsToTheSameLogits() throws Exception {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 31);
        TinyCheckpoints.QuantizedFixture f =
                TinyCheckpoints.quantized(
                        json,
                        w,
                        CheckpointFormat.MLX,
                        4,
                        32,
                        Map.of("model.layers.1.mlp.up_proj", 6));
        Path source = dir.resolve("source");
        f.tensors.writeTo(source, f.config, SafetensorsDType.F32, Long.MAX_VALUE);
        try (Model model = Model.newInstance("tiny", "Metal");
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            model.load(source);
            float[] expected = QuantizedLoadingTest.logits(model.getBlock(), manager);

            Path mlx = dir.resolve("mlx");
            CheckpointWriter.save((MetalModel) model, mlx, CheckpointFormat.MLX);
            JsonObject written = CheckpointLoader.readConfig(mlx);
            JsonObject quantization = written.getAsJsonObject("quantization");
            assertEquals(4, quantization.get("bits").getAsInt());
            assertEquals(
                    6,
                    quantization
                            .getAsJsonObject("model.layers.1.mlp.up_proj")
                            .get("bits")
                            .getAsInt());
            try (SafetensorsTensors tensors = SafetensorsTensors.open(mlx)) {
                assertEquals("U32", tensors.dtype("model.embed_tokens.weight"));
                assertTrue(tensors.contains("model.embed_tokens.biases"));
                assertFalse(tensors.contains("lm_head.weight"));
            }
            try (Model reloaded = Model.newInstance("mlx", "Metal")) {
                reloaded.load(mlx);
                assertArrayEquals(
                        expected, QuantizedLoadingTest.logits(reloaded.getBlock(), manager));
            }

            IllegalArgumentException mixed =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    CheckpointWriter.save(
                                            (MetalModel) model,
                                            dir.resolve("hf"),
                                            CheckpointFormat.TRANSFORMERS));
            assertTrue(mixed.getMessage().contains("model.layers.1.mlp.up_proj"));
        }
    }

    @Test
    void onTheFlyQuantizedModelSavedAsTransformersAndFloatReloadsToTheSameLogits()
            throws Exception {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 32);
        Path source = dir.resolve("float");
        TinyCheckpoints.floatTensors(w).writeTo(source, json, SafetensorsDType.BF16, 30_000);
        try (Model model = Model.newInstance("tiny", "Metal");
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            model.load(source, null, Map.of("bits", "8", "groupSize", "32"));
            float[] expected = QuantizedLoadingTest.logits(model.getBlock(), manager);
            Path hf = dir.resolve("hf");
            CheckpointWriter.save((MetalModel) model, hf, CheckpointFormat.TRANSFORMERS);
            JsonObject qc = CheckpointLoader.readConfig(hf).getAsJsonObject("quantization_config");
            assertEquals("metal", qc.get("quant_method").getAsString());
            assertEquals(8, qc.get("bits").getAsInt());
            try (SafetensorsTensors tensors = SafetensorsTensors.open(hf)) {
                assertTrue(tensors.contains("model.layers.0.self_attn.q_proj.qbiases"));
                assertTrue(tensors.contains("model.layers.0.self_attn.q_proj.bias"));
                assertEquals("F32", tensors.dtype("lm_head.weight"));
            }
            try (NDManager m2 = NDManager.newBaseManager("PyTorch")) {
                LoadedCheckpoint reloaded = CheckpointLoader.load(hf, Collections.emptyMap(), m2);
                assertEquals(CheckpointFormat.TRANSFORMERS, reloaded.getFormat());
                assertArrayEquals(
                        expected, QuantizedLoadingTest.logits(reloaded.getBlock(), manager));
            }

            Path plain = dir.resolve("plain");
            CheckpointWriter.save((MetalModel) model, plain, CheckpointFormat.FLOAT);
            assertFalse(CheckpointLoader.readConfig(plain).has("quantization_config"));
            try (NDManager m3 = NDManager.newBaseManager("PyTorch")) {
                LoadedCheckpoint dequantized =
                        CheckpointLoader.load(plain, Collections.emptyMap(), m3);
                assertEquals(CheckpointFormat.FLOAT, dequantized.getFormat());
                QuantizedLoadingTest.assertClose(
                        json,
                        expected,
                        QuantizedLoadingTest.logits(dequantized.getBlock(), manager));
            }
        }
    }
}
