package dev.djlmetal.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import dev.djlmetal.quant.QuantSpec;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class DecodeBenchmarkPartsTest {

    @Test
    void configurationsParseByFlagNameAndRejectOthers() {
        for (DecodeConfiguration c : DecodeConfiguration.values()) {
            assertEquals(c, DecodeConfiguration.fromFlagName(" " + c.getFlagName() + " "));
        }
        assertNull(DecodeConfiguration.FLOAT32.getSpec());
        assertEquals(4, DecodeConfiguration.Q4_CPU.getSpec().getBits());
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> DecodeConfiguration.fromFlagName("q7-cpu"));
        assertTrue(e.getMessage().contains("q7-cpu"), e.getMessage());
        assertTrue(e.getMessage().contains("q4-ndarray"), e.getMessage());
    }

    @Test
    void residentMemoryIsReadFromProc() {
        Assumptions.assumeTrue(
                Files.isReadable(Paths.get("/proc/self/status")),
                "Skipped: no /proc/self/status on this system");
        long current = ProcessMemory.residentBytes();
        long peak = ProcessMemory.peakResidentBytes();
        assertTrue(current > 1 << 20, "VmRSS " + current);
        assertTrue(peak >= current, "VmHWM " + peak + " < VmRSS " + current);
    }

    @Test
    void mlxCheckpointHasTheLlama32ShapesInPackedForm() {
        RandomLlamaCheckpoint c = RandomLlamaCheckpoint.mlxCheckpoint(2, QuantSpec.of(4, 64));
        JsonObject config = c.getConfig();
        assertEquals(2, config.get("num_hidden_layers").getAsInt());
        assertEquals(4, config.getAsJsonObject("quantization").get("bits").getAsInt());
        assertEquals(new Shape(128256, 2048 * 4 / 32), c.shape("model.embed_tokens.weight"));
        assertEquals("U32", c.dtype("model.layers.1.mlp.down_proj.weight"));
        assertEquals(new Shape(2048, 8192 / 64), c.shape("model.layers.1.mlp.down_proj.scales"));
        assertEquals(new Shape(512, 2048 / 64), c.shape("model.layers.0.self_attn.k_proj.biases"));
        assertFalse(c.names().contains("lm_head.weight"));
        assertEquals(3 + 2 * (2 + 7 * 3) + 1, c.names().size());

        RandomLlamaCheckpoint f = RandomLlamaCheckpoint.floatCheckpoint(1);
        assertFalse(f.getConfig().has("quantization"));
        assertEquals(new Shape(8192, 2048), f.shape("model.layers.0.mlp.up_proj.weight"));
        assertEquals("F32", f.dtype("model.layers.0.mlp.up_proj.weight"));
    }
}
