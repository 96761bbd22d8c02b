package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationConfigTest {

    @Test
    void defaultsAreGreedy64Tokens() {
        GenerationConfig config = GenerationConfig.fromArguments(null, Set.of(2L));
        assertEquals(64, config.getMaxNewTokens());
        assertTrue(config.isGreedy());
        assertEquals(0, config.getTopK());
        assertEquals(1f, config.getTopP());
        assertNull(config.getSeed());
        assertTrue(config.getStopSequences().isEmpty());
        assertEquals(Set.of(2L), config.getEosTokenIds());
    }

    @Test
    void parsesStringsNumbersAndLists() {
        Map<String, Object> args =
                Map.of(
                        "maxNewTokens", "12",
                        "temperature", 0.7,
                        "topK", 40,
                        "topP", "0.9",
                        "seed", "99",
                        "stopSequences", "\n\n,The end");
        GenerationConfig config = GenerationConfig.fromArguments(args, Set.of());
        assertEquals(12, config.getMaxNewTokens());
        assertEquals(0.7f, config.getTemperature());
        assertEquals(40, config.getTopK());
        assertEquals(0.9f, config.getTopP());
        assertEquals(99L, config.getSeed());
        assertEquals(List.of("\n\n", "The end"), config.getStopSequences());

        GenerationConfig fromList =
                GenerationConfig.fromArguments(
                        Map.of("stopSequences", List.of("a,b", "c")), Set.of());
        assertEquals(List.of("a,b", "c"), fromList.getStopSequences());
    }

    @Test
    void badValuesNameTheArgument() {
        assertMessage("topP=1.5", Map.of("topP", "1.5"));
        assertMessage("topP=0", Map.of("topP", 0));
        assertMessage("temperature=-1", Map.of("temperature", "-1"));
        assertMessage("maxNewTokens=many", Map.of("maxNewTokens", "many"));
        assertMessage("maxNewTokens=-3", Map.of("maxNewTokens", -3));
        assertMessage("topK=2.5", Map.of("topK", 2.5));
        assertMessage("seed=x", Map.of("seed", "x"));
        assertMessage("stopSequences", Map.of("stopSequences", "a,,b"));
    }

    @Test
    void readsEosFromGenerationConfigFirst(@TempDir Path dir) throws IOException {
        assertTrue(GenerationConfig.readEosTokenIds(dir).isEmpty());
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": 2}");
        assertEquals(Set.of(2L), GenerationConfig.readEosTokenIds(dir));
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [7, 9]}");
        assertEquals(Set.of(7L, 9L), GenerationConfig.readEosTokenIds(dir));
        Files.writeString(dir.resolve("generation_config.json"), "{not json");
        IOException e =
                assertThrows(IOException.class, () -> GenerationConfig.readEosTokenIds(dir));
        assertTrue(e.getMessage().contains("generation_config.json"), e.getMessage());
    }

    private static void assertMessage(String expected, Map<String, Object> args) {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> GenerationConfig.fromArguments(args, Set.of()));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
