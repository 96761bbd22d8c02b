package dev.djlmetal.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The main job's {@code --model} on every model family: the tiny transformers-made checkpoints of
 * model-zoo's test fixtures (see {@code tools/families}), quantized on the fly to 4 bits, and the
 * pre-quantized MLX checkpoints of the fixture script, generate transformers' greedy tokens.
 */
class MainFamiliesTest {

    private static final Path FIXTURES =
            Paths.get(System.getProperty("basedir", "."))
                    .resolve("../model-zoo/src/test/resources/dev/djlmetal/zoo/families")
                    .normalize();

    @TempDir Path temp;

    static Stream<String> cases() {
        return Stream.of(
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
    }

    static Stream<String> mlxCases() {
        return Stream.of("gemma3", "phi3", "mixtral", "qwen2_moe", "qwen3_moe");
    }

    private static JsonObject expected(String name) throws IOException {
        return JsonParser.parseString(
                        Files.readString(FIXTURES.resolve(name).resolve("expected.json")))
                .getAsJsonObject();
    }

    private static String words(JsonArray ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.size(); i++) {
            sb.append(i == 0 ? "" : " ").append('w').append(ids.get(i).getAsLong());
        }
        return sb.toString();
    }

    /** Copies a checkpoint and adds the word-level tokenizer: token {@code i} is {@code w<i>}. */
    private Path withTokenizer(Path source, int vocab) throws IOException {
        Path dir = temp.resolve(source.getFileName().toString());
        Files.createDirectories(dir);
        Files.copy(source.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(source.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        StringBuilder vocabulary = new StringBuilder();
        for (int i = 0; i < vocab; i++) {
            vocabulary.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        }
        Files.writeString(
                dir.resolve("tokenizer.json"),
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],"
                        + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                        + "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":"
                        + "\"WordLevel\",\"vocab\":{"
                        + vocabulary
                        + "},\"unk_token\":\"w0\"}}");
        return dir;
    }

    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.execute(o, e, args);
        }
        return new String[] {
            Integer.toString(status),
            out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8)
        };
    }

    @ParameterizedTest
    @MethodSource("cases")
    void quantizesEveryFamilyOnTheFlyAndGeneratesTransformersTokens(String name)
            throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(FIXTURES), "no fixtures at " + FIXTURES);
        JsonObject meta = expected(name);
        Path dir = withTokenizer(FIXTURES.resolve(name), vocab(name));
        JsonArray tokens =
                meta.getAsJsonObject("variants")
                        .getAsJsonObject("lin_b4_g64")
                        .getAsJsonArray("tokens");
        String[] r =
                run(
                        "--model",
                        dir.toString(),
                        "--bits",
                        "4",
                        "--group-size",
                        "64",
                        "--backend",
                        "cpu",
                        "--prompt",
                        words(meta.getAsJsonArray("prompt")),
                        "--max-new-tokens",
                        Integer.toString(tokens.size()));
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains(" " + words(tokens)), name + ":\n" + r[1]);
        assertTrue(r[1].contains("bits:           4"), r[1]);
    }

    @ParameterizedTest
    @MethodSource("mlxCases")
    void runsTheMlxCheckpointsAsQuantized(String name) throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(FIXTURES), "no fixtures at " + FIXTURES);
        JsonObject meta = expected(name);
        JsonObject layout = meta.getAsJsonObject("mlx_layout");
        Path dir = withTokenizer(FIXTURES.resolve(layout.get("dir").getAsString()), vocab(name));
        JsonArray tokens = layout.getAsJsonArray("tokens");
        String[] r =
                run(
                        "--model", dir.toString(),
                        "--backend", "cpu",
                        "--prompt", words(meta.getAsJsonArray("prompt")),
                        "--max-new-tokens", Integer.toString(tokens.size()));
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains(" " + words(tokens)), name + ":\n" + r[1]);
        assertTrue(r[1].contains("bits:           " + layout.get("bits").getAsInt()), r[1]);
    }

    private static int vocab(String name) throws IOException {
        return JsonParser.parseString(
                        Files.readString(FIXTURES.resolve(name).resolve("config.json")))
                .getAsJsonObject()
                .get("vocab_size")
                .getAsInt();
    }
}
