package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.zoo.testing.InMemoryTensors;
import dev.djlmetal.zoo.testing.LogitBounds;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import dev.djlmetal.zoo.testing.TinyWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetalModelLoadingTest {

    private static final long[] IDS = {1, 7, 19, 44, 2};

    @TempDir Path dir;

    private static float[] logits(CausalLM block, NDManager manager) {
        return block.forward(manager.create(IDS, new Shape(1, IDS.length)), KvCache.empty())
                .head()
                .toFloatArray();
    }

    @Test
    void shardedBf16CheckpointLoadsThroughTheMetalEngine() throws Exception {
        JsonObject json = TinyCheckpoints.qwen2ConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 21);
        TinyCheckpoints.floatTensors(w).writeTo(dir, json, SafetensorsDType.BF16, 20_000);
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));

        TinyWeights rounded = new TinyWeights();
        for (String name : w.all().keySet()) {
            float[] v = w.get(name).clone();
            for (int i = 0; i < v.length; i++) {
                v[i] = bf16(v[i]);
            }
            rounded.put(name, w.shape(name), v);
        }
        try (Model model = Model.newInstance("tiny", "Metal");
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            model.load(dir);
            CausalLM expectedModel = new CausalLM(DecoderConfig.fromJson(json));
            rounded.applyTo(expectedModel, manager);
            float[] expected = logits(expectedModel, manager);
            float[] actual = logits((CausalLM) model.getBlock(), manager);
            DecoderConfig config = DecoderConfig.fromJson(json);
            LogitBounds.of(config, IDS.length, 2)
                    .assertClose(
                            expected, actual, config.getVocabSize(), "sharded BF16 checkpoint");
        }
    }

    private static float bf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    @Test
    void inconsistentCheckpointIsMalformedAndUnknownOptionIsIllegal() throws Exception {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        InMemoryTensors t =
                TinyCheckpoints.floatTensors(
                        TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 2));
        t.remove("model.norm.weight");
        t.writeTo(dir, json, SafetensorsDType.F16, Long.MAX_VALUE);
        try (Model model = Model.newInstance("tiny", "Metal")) {
            MalformedModelException e =
                    assertThrows(MalformedModelException.class, () -> model.load(dir));
            assertTrue(e.getMessage().contains("Missing tensor model.norm.weight"), e.getMessage());
        }
        try (Model model = Model.newInstance("tiny", "Metal")) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.load(dir, null, Map.of("colour", "blue")));
            assertTrue(e.getMessage().contains("Unknown option colour"), e.getMessage());
            assertEquals(null, model.getBlock());
        }
    }
}
