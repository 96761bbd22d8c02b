package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.djlmetal.engine.loading.LoaderOptions;
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
        assertFalse(config.isDoSample());
        assertEquals(0, config.getTopK());
        assertEquals(1f, config.getTopP());
        assertEquals(1f, config.getRepetitionPenalty());
        assertNull(config.getSeed());
        assertTrue(config.getStopSequences().isEmpty());
        assertEquals(Set.of(2L), config.getEosTokenIds());
    }

    @Test
    void parsesCamelAndSnakeCaseStringsNumbersAndLists() {
        Map<String, Object> camel =
                Map.of(
                        "maxNewTokens", "12",
                        "temperature", 0.7,
                        "topK", 40,
                        "topP", "0.9",
                        "repetitionPenalty", "1.3",
                        "seed", "99",
                        "stopSequences", "\n\n");
        Map<String, Object> snake =
                Map.of(
                        "max_new_tokens",
                        12,
                        "temperature",
                        "0.7",
                        "top_k",
                        "40",
                        "top_p",
                        0.9,
                        "repetition_penalty",
                        1.3,
                        "seed",
                        99,
                        "stop",
                        List.of("\n\n"));
        for (Map<String, Object> args : List.of(camel, snake)) {
            GenerationConfig config = GenerationConfig.fromArguments(args, Set.of());
            assertEquals(12, config.getMaxNewTokens());
            assertTrue(config.isDoSample(), "a temperature above 0 turns sampling on");
            assertEquals(0.7f, config.getTemperature());
            assertEquals(40, config.getTopK());
            assertEquals(0.9f, config.getTopP());
            assertEquals(1.3f, config.getRepetitionPenalty());
            assertEquals(99L, config.getSeed());
            assertEquals(List.of("\n\n"), config.getStopSequences(), args.toString());
        }
        // a string is one stop sequence, commas included; a JSON array text is a list
        assertEquals(
                List.of("a,b"),
                GenerationConfig.fromArguments(Map.of("stop", "a,b"), Set.of()).getStopSequences());
        assertEquals(
                List.of("a,b", "c"),
                GenerationConfig.fromArguments(
                                Map.of("stop_sequences", "[\"a,b\", \"c\"]"), Set.of())
                        .getStopSequences());
    }

    @Test
    void doSampleDecidesAndTemperatureZeroIsGreedy() {
        GenerationConfig base = GenerationConfig.builder().build();
        assertTrue(base.withParameters(Map.of("temperature", 0.5)).isDoSample());
        assertTrue(base.withParameters(Map.of("temperature", 0)).isGreedy());
        GenerationConfig greedyAtHalf =
                base.withParameters(Map.of("temperature", 0.5, "do_sample", false));
        assertTrue(greedyAtHalf.isGreedy());
        assertEquals(0.5f, greedyAtHalf.getTemperature());
        // sampling from a layer below keeps its temperature when a request only says do_sample
        GenerationConfig sampled = base.withArguments(Map.of("temperature", "0.6"));
        assertTrue(sampled.withParameters(Map.of("do_sample", false)).isGreedy());
        GenerationConfig again =
                sampled.withParameters(Map.of("do_sample", false))
                        .withParameters(Map.of("do_sample", "true"));
        assertFalse(again.isGreedy());
        assertEquals(0.6f, again.getTemperature());
    }

    @Test
    void requestParametersAreStrictArgumentsAreNot() {
        GenerationConfig base = GenerationConfig.builder().build();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> base.withParameters(Map.of("max_new_token", 5)));
        assertTrue(
                e.getMessage().startsWith("Unknown parameter max_new_token (did you mean"),
                e.getMessage());
        assertTrue(e.getMessage().contains("max_new_tokens"), e.getMessage());
        // Criteria arguments carry DJL's and DJL Serving's keys too: those are not settings
        assertEquals(
                7,
                base.withArguments(Map.of("maxNewTokens", 7, "job_queue_size", "10"))
                        .getMaxNewTokens());
        IllegalArgumentException conflict =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> base.withArguments(Map.of("topK", 3, "top_k", 4)));
        assertTrue(conflict.getMessage().contains("Conflicting settings"), conflict.getMessage());
    }

    @Test
    void everySettingNameIsAnAcceptedOption() {
        assertTrue(
                LoaderOptions.GENERATION.containsAll(GenerationParameter.allNames()),
                GenerationParameter.allNames().toString());
    }

    @Test
    void badValuesNameTheArgument() {
        assertMessage("topP=1.5", Map.of("topP", "1.5"));
        assertMessage("top_p=0", Map.of("top_p", 0));
        assertMessage("temperature=-1", Map.of("temperature", "-1"));
        assertMessage("maxNewTokens=many", Map.of("maxNewTokens", "many"));
        assertMessage("max_new_tokens=-3", Map.of("max_new_tokens", -3));
        assertMessage("topK=2.5", Map.of("topK", 2.5));
        assertMessage("seed=x", Map.of("seed", "x"));
        assertMessage("do_sample=maybe", Map.of("do_sample", "maybe"));
        assertMessage("repetition_penalty=0", Map.of("repetition_penalty", 0));
        assertMessage("stop", Map.of("stop", List.of("a", "")));
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

    @Test
    void generationConfigJsonGivesTheModelDefaults(@TempDir Path dir) throws IOException {
        assertEquals(GenerationConfig.builder().build(), GenerationConfig.fromModelDirectory(dir));
        // Llama 3.1 Instruct's generation_config.json
        Files.writeString(
                dir.resolve("generation_config.json"),
                "{\"bos_token_id\": 128000, \"do_sample\": true, \"eos_token_id\": [128001,"
                        + " 128008, 128009], \"temperature\": 0.6, \"top_p\": 0.9,"
                        + " \"transformers_version\": \"4.42.3\"}");
        GenerationConfig llama = GenerationConfig.fromModelDirectory(dir);
        assertTrue(llama.isDoSample());
        assertEquals(0.6f, llama.getTemperature());
        assertEquals(0.9f, llama.getTopP());
        assertEquals(50, llama.getTopK(), "transformers' default top_k for what the file omits");
        assertEquals(Set.of(128001L, 128008L, 128009L), llama.getEosTokenIds());
        assertEquals(64, llama.getMaxNewTokens());
        // a temperature without do_sample: transformers decodes greedily
        Files.writeString(
                dir.resolve("generation_config.json"),
                "{\"temperature\": 0.7, \"repetition_penalty\": 1.1, \"max_new_tokens\": 20}");
        GenerationConfig greedy = GenerationConfig.fromModelDirectory(dir);
        assertTrue(greedy.isGreedy());
        assertEquals(1.1f, greedy.getRepetitionPenalty());
        assertEquals(20, greedy.getMaxNewTokens());
        Files.writeString(dir.resolve("generation_config.json"), "{\"top_p\": 7}");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> GenerationConfig.fromModelDirectory(dir));
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
