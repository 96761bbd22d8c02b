package dev.djlmetal.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Reads the shared stories260K checkpoint (skipped when {@code djlmetal.shared.dir} is absent). */
class Stories260kSafetensorsTest {

    @Test
    void readsNamesShapesAndFiniteValues() throws IOException {
        String shared = System.getProperty("djlmetal.shared.dir");
        Assumptions.assumeTrue(shared != null, "djlmetal.shared.dir not set");
        Path model = Path.of(shared, "models", "stories260K");
        Assumptions.assumeTrue(
                Files.isRegularFile(model.resolve("model.safetensors")), "stories260K absent");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(model)) {
            assertTrue(checkpoint.contains("model.embed_tokens.weight"));
            TensorInfo embed = checkpoint.info("model.embed_tokens.weight");
            assertEquals(SafetensorsDType.F32, embed.dtype());
            assertArrayEquals(new long[] {512, 64}, embed.dims());
            String norm = "model.layers.0.input_layernorm.weight";
            assertArrayEquals(new long[] {64}, checkpoint.info(norm).dims());
            assertArrayEquals(
                    new long[] {64, 172},
                    checkpoint.info("model.layers.0.mlp.down_proj.weight").dims());
            assertArrayEquals(
                    new long[] {172, 64},
                    checkpoint.info("model.layers.0.mlp.gate_proj.weight").dims());
            assertEquals("pt", checkpoint.metadata().get("format"));
            assertEquals(47, checkpoint.names().size());
            long total = 0;
            for (String name : checkpoint.names()) {
                float[] values = checkpoint.toFloatArray(name);
                assertEquals(checkpoint.info(name).elementCount(), values.length);
                for (float value : values) {
                    assertTrue(Float.isFinite(value), name + " holds a non-finite value");
                }
                total += values.length;
            }
            assertTrue(total > 200_000, "stories260K has about 260K parameters, read " + total);
        }
    }
}
