package dev.djlmetal.io;

import static dev.djlmetal.io.SafetensorsTestFiles.entry;
import static dev.djlmetal.io.SafetensorsTestFiles.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsCheckpointTest {

    @TempDir Path dir;

    private static ByteBuffer floatBytes(int count, float start) {
        ByteBuffer buffer = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            buffer.putFloat(start + i);
        }
        return buffer.flip();
    }

    /** Five 40-byte tensors: with 100-byte shards they split 2 + 2 + 1. */
    private static SafetensorsWriter fiveTensors() {
        SafetensorsWriter writer = new SafetensorsWriter().optMetadata("format", "pt");
        for (int i = 0; i < 5; i++) {
            writer.addRaw(
                    "layer" + i + ".weight",
                    SafetensorsDType.F32,
                    new long[] {2, 5},
                    floatBytes(10, 100 * i));
        }
        return writer;
    }

    @Test
    void shardedWriteAndReadWithIndex() throws IOException {
        Path model = dir.resolve("model");
        List<Path> written = fiveTensors().writeSharded(model, 100);
        assertEquals(
                List.of(
                        model.resolve("model-00001-of-00003.safetensors"),
                        model.resolve("model-00002-of-00003.safetensors"),
                        model.resolve("model-00003-of-00003.safetensors"),
                        model.resolve(SafetensorsCheckpoint.INDEX_FILE)),
                written);
        JsonObject index =
                JsonParser.parseString(Files.readString(written.get(3))).getAsJsonObject();
        assertEquals(200, index.getAsJsonObject("metadata").get("total_size").getAsLong());
        JsonObject weightMap = index.getAsJsonObject("weight_map");
        assertEquals(5, weightMap.size());
        assertEquals(
                "model-00001-of-00003.safetensors", weightMap.get("layer1.weight").getAsString());
        assertEquals(
                "model-00003-of-00003.safetensors", weightMap.get("layer4.weight").getAsString());
        try (SafetensorsFile shard = SafetensorsFile.open(written.get(1))) {
            assertEquals(Set.of("layer2.weight", "layer3.weight"), shard.names());
        }
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(model);
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(3, checkpoint.files().size());
            assertEquals(5, checkpoint.names().size());
            assertTrue(checkpoint.contains("layer4.weight"));
            assertFalse(checkpoint.contains("layer5.weight"));
            assertEquals(Map.of("format", "pt"), checkpoint.metadata());
            for (int i = 0; i < 5; i++) {
                String name = "layer" + i + ".weight";
                float[] expected = new float[10];
                for (int j = 0; j < 10; j++) {
                    expected[j] = 100 * i + j;
                }
                assertArrayEquals(expected, checkpoint.toFloatArray(name));
                assertArrayEquals(new long[] {2, 5}, checkpoint.info(name).dims());
                NDArray array = checkpoint.toNDArray(manager, name, DataType.FLOAT16);
                assertEquals(DataType.FLOAT16, array.getDataType());
                assertArrayEquals(expected, array.toType(DataType.FLOAT32, false).toFloatArray());
                assertEquals(100 * i + 1, checkpoint.buffer(name).getFloat(4));
            }
            assertEquals(
                    model.resolve("model-00002-of-00003.safetensors"),
                    checkpoint.fileOf("layer3.weight").path());
        }
        try (SafetensorsCheckpoint viaIndex = SafetensorsCheckpoint.open(written.get(3))) {
            assertEquals(3, viaIndex.files().size());
            assertEquals(300f, viaIndex.toFloatArray("layer3.weight")[0]);
        }
    }

    @Test
    void singleShardWritesModelSafetensors() throws IOException {
        Path model = dir.resolve("single");
        fiveTensors().writeSharded(model, 100);
        List<Path> written = fiveTensors().writeSharded(model, 1 << 20);
        assertEquals(List.of(model.resolve(SafetensorsCheckpoint.SINGLE_FILE)), written);
        assertFalse(Files.exists(model.resolve(SafetensorsCheckpoint.INDEX_FILE)));
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(model)) {
            assertEquals(1, checkpoint.files().size());
            assertEquals(5, checkpoint.names().size());
        }
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(written.get(0))) {
            assertEquals(5, checkpoint.names().size());
        }
    }

    @Test
    void tensorLargerThanShardLimitGetsItsOwnShard() throws IOException {
        Path model = dir.resolve("oversized");
        List<Path> written = fiveTensors().writeSharded(model, 30);
        assertEquals(6, written.size());
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(model)) {
            assertEquals(5, checkpoint.files().size());
            assertArrayEquals(
                    new float[] {400, 401},
                    java.util.Arrays.copyOf(checkpoint.toFloatArray("layer4.weight"), 2));
        }
    }

    @Test
    void directoryOfShardsWithoutIndex() throws IOException {
        Path model = dir.resolve("noindex");
        fiveTensors().writeSharded(model, 100);
        Files.delete(model.resolve(SafetensorsCheckpoint.INDEX_FILE));
        Files.writeString(model.resolve("config.json"), "{}");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(model)) {
            assertEquals(3, checkpoint.files().size());
            assertEquals(5, checkpoint.names().size());
            assertArrayEquals(new long[] {2, 5}, checkpoint.info("layer2.weight").dims());
            assertEquals(200f, checkpoint.toFloatArray("layer2.weight")[0]);
        }
    }

    @Test
    void duplicateTensorAcrossShardsIsAnError() throws IOException {
        Path model = Files.createDirectories(dir.resolve("dup"));
        String header = "{" + entry("shared.weight", "F32", "[1]", 0, 4) + "}";
        SafetensorsTestFiles.write(model.resolve("a.safetensors"), header, floats(1));
        SafetensorsTestFiles.write(model.resolve("b.safetensors"), header, floats(2));
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(model));
        assertTrue(e.getMessage().startsWith(model + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("'shared.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("a.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("b.safetensors"), e.getMessage());
    }

    @Test
    void indexNamingMissingShardIsAnError() throws IOException {
        Path model = dir.resolve("missing");
        fiveTensors().writeSharded(model, 100);
        Files.delete(model.resolve("model-00002-of-00003.safetensors"));
        Path index = model.resolve(SafetensorsCheckpoint.INDEX_FILE);
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(model));
        assertTrue(e.getMessage().startsWith(index + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("model-00002-of-00003.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("'layer2.weight'"), e.getMessage());
    }

    @Test
    void indexNamingTensorAbsentFromShardIsAnError() throws IOException {
        Path model = dir.resolve("absent");
        fiveTensors().writeSharded(model, 100);
        Path index = model.resolve(SafetensorsCheckpoint.INDEX_FILE);
        Files.writeString(
                index,
                Files.readString(index)
                        .replace(
                                "\"layer4.weight\": \"model-00003-of-00003.safetensors\"",
                                "\"layer4.weight\": \"model-00001-of-00003.safetensors\""));
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(model));
        assertTrue(e.getMessage().startsWith(index + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("'layer4.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("model-00001-of-00003.safetensors"), e.getMessage());
    }

    @Test
    void malformedIndexAndEmptyDirectory() throws IOException {
        Path model = Files.createDirectories(dir.resolve("bad-index"));
        Path index = model.resolve(SafetensorsCheckpoint.INDEX_FILE);
        Files.writeString(index, "{\"weight_map\": {\"w\": \"../escape.safetensors\"}}");
        SafetensorsException escape =
                assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(model));
        assertTrue(escape.getMessage().startsWith(index + ": "));
        assertTrue(escape.getMessage().contains("'w'"));
        Files.writeString(index, "{\"metadata\": {}}");
        assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(model));
        Files.writeString(index, "{\"weight_map\": [");
        assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(model));

        Path empty = Files.createDirectories(dir.resolve("empty"));
        SafetensorsException none =
                assertThrows(SafetensorsException.class, () -> SafetensorsCheckpoint.open(empty));
        assertTrue(none.getMessage().startsWith(empty + ": "));
    }
}
