package dev.djlmetal.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.inference.streaming.IteratorBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.zoo.EmbeddedModel;
import dev.djlmetal.zoo.generate.GenerationConfig;
import dev.djlmetal.zoo.generate.GenerationRequest;
import dev.djlmetal.zoo.generate.TextGenerator;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model directory with a {@code serving.properties} loads and serves as DJL Serving (0.36) loads
 * and serves it: the Criteria is built the way its {@code ModelInfo} builds it ({@code option.*}
 * keys become options, every other key an argument, plus the keys DJL Serving's LMI configuration
 * adds for a Hugging Face causal LM), and requests go through {@code batchPredict} as its workers
 * send them.
 */
class ServingContractTest {

    private static final String CHAT_TEMPLATE =
            "{{ bos_token }}{% for m in messages %}{{ m['content'] }} {% endfor %}"
                    + "{% if add_generation_prompt %}w3{% endif %}";

    @TempDir static Path dir;

    private static ZooModel<Input, Output> served;
    private static TextGenerator reference;

    @BeforeAll
    static void load() throws Exception {
        writeModel(dir, "");
        served = servingCriteria(dir).loadModel();
        reference = TextGenerator.of(served);
    }

    @AfterAll
    static void close() {
        if (served != null) {
            served.close();
        }
    }

    static void writeModel(Path model, String extraProperties) throws IOException {
        Checkpoints.writeFloat(model, Checkpoints.weights(8));
        JsonObject config = new JsonObject();
        config.addProperty("bos_token", "<s>");
        config.addProperty("eos_token", "</s>");
        config.addProperty("add_bos_token", true);
        config.addProperty("chat_template", CHAT_TEMPLATE);
        Files.writeString(model.resolve("tokenizer_config.json"), config.toString());
        Files.writeString(
                model.resolve("serving.properties"),
                "engine=Metal\n"
                        + "option.bits=8\n"
                        + "option.group_size=32\n"
                        + "max_new_tokens=12\n"
                        + "minWorkers=1\n"
                        + "maxWorkers=2\n"
                        + "job_queue_size=100\n"
                        + "batch_size=2\n"
                        + "max_batch_delay=50\n"
                        + extraProperties);
    }

    /** What DJL Serving's ModelInfo does for a local model directory (see the class comment). */
    static Criteria<Input, Output> servingCriteria(Path model) throws IOException {
        Properties prop = new Properties();
        try (Reader reader = Files.newBufferedReader(model.resolve("serving.properties"))) {
            prop.load(reader);
        }
        // LmiConfigRecommender for a text-generation architecture without vLLM / TensorRT-LLM
        prop.putIfAbsent("option.rolling_batch", "disable");
        prop.putIfAbsent("option.pipeline_parallel_degree", "1");
        prop.putIfAbsent("option.tensor_parallel_degree", "1");
        prop.putIfAbsent("option.max_rolling_batch_size", "32");
        Map<String, String> options = new ConcurrentHashMap<>();
        Map<String, Object> arguments = new ConcurrentHashMap<>();
        for (String key : prop.stringPropertyNames()) {
            if (key.startsWith("option.")) {
                options.put(key.substring(7), prop.getProperty(key));
            } else {
                arguments.put(key, prop.getProperty(key));
            }
        }
        Criteria.Builder<Input, Output> builder =
                Criteria.builder()
                        .setTypes(Input.class, Output.class)
                        .optModelUrls(model.toUri().toURL().toString())
                        .optModelName(model.getFileName().toString())
                        .optEngine(prop.getProperty("engine"))
                        .optArguments(arguments)
                        .optOptions(options);
        if (Integer.parseInt(prop.getProperty("batch_size", "1")) > 1) {
            builder.optArgument("batchifier", "stack");
        }
        return builder.optDevice(Device.cpu()).build();
    }

    private static Input json(String body) {
        Input input = new Input();
        input.addProperty("Content-Type", "application/json");
        input.add(body);
        return input;
    }

    private static Output predict(String body) throws Exception {
        try (Predictor<Input, Output> predictor = served.newPredictor()) {
            return predictor.predict(json(body));
        }
    }

    private static JsonElement body(Output output) {
        return JsonParser.parseString(output.getData().getAsString());
    }

    private static String generated(String prompt, Map<String, Object> parameters) {
        return reference
                .generate(
                        GenerationRequest.builder()
                                .setPrompt(prompt)
                                .optParameters(parameters)
                                .build())
                .getText();
    }

    @Test
    void singleInput() throws Exception {
        Output output =
                predict("{\"inputs\": \"w10 w20 w30\", \"parameters\": {\"max_new_tokens\": 6}}");
        assertEquals(200, output.getCode());
        JsonObject body = body(output).getAsJsonObject();
        String text = body.get("generated_text").getAsString();
        assertEquals(generated("w10 w20 w30", Map.of("max_new_tokens", 6)), text);
        assertTrue(text.matches("( w[0-9]+){1,6}"), text);
        // the default of serving.properties' max_new_tokens=12
        JsonObject defaults = body(predict("{\"inputs\": \"w10 w20 w30\"}")).getAsJsonObject();
        assertEquals(
                generated("w10 w20 w30", Map.of()), defaults.get("generated_text").getAsString());
        assertTrue(defaults.get("generated_text").getAsString().startsWith(text));
    }

    @Test
    void listOfInputsAnswersWithAList() throws Exception {
        String[] prompts = {"w10 w20 w30", "w5", "w40 w41 w42 w43 w44"};
        Output output =
                predict(
                        "{\"inputs\": [\"w10 w20 w30\", \"w5\", \"w40 w41 w42 w43 w44\"],"
                                + " \"parameters\": {\"max_new_tokens\": 7, \"details\": true,"
                                + " \"return_full_text\": true}}");
        JsonArray list = body(output).getAsJsonArray();
        assertEquals(3, list.size());
        for (int i = 0; i < prompts.length; i++) {
            JsonObject item = list.get(i).getAsJsonObject();
            String expected = prompts[i] + generated(prompts[i], Map.of("max_new_tokens", 7));
            assertEquals(expected, item.get("generated_text").getAsString());
            JsonObject details = item.getAsJsonObject("details");
            int tokens = details.get("generated_tokens").getAsInt();
            assertEquals(tokens, details.getAsJsonArray("tokens").size());
            assertTrue(tokens >= 1 && tokens <= 7);
        }
    }

    @Test
    void streamedTokensAreJsonLines() throws Exception {
        String expected = generated("w10 w20 w30", Map.of());
        Output output = predict("{\"inputs\": \"w10 w20 w30\", \"stream\": true}");
        ChunkedBytesSupplier supplier =
                assertInstanceOf(ChunkedBytesSupplier.class, output.getData());
        List<JsonObject> lines = new ArrayList<>();
        while (supplier.hasNext()) {
            String chunk =
                    new String(supplier.nextChunk(1, TimeUnit.MINUTES), StandardCharsets.UTF_8);
            assertTrue(chunk.endsWith("\n"), chunk);
            lines.add(JsonParser.parseString(chunk).getAsJsonObject());
        }
        assertFalse(lines.isEmpty());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            JsonObject line = lines.get(i);
            JsonObject token = line.getAsJsonObject("token");
            assertTrue(token.get("id").getAsLong() >= 0);
            assertTrue(token.get("logprob").getAsFloat() <= 0f);
            text.append(token.get("text").getAsString());
            boolean last = i == lines.size() - 1;
            assertEquals(last, !line.get("generated_text").isJsonNull(), "line " + i);
        }
        assertEquals(expected, text.toString());
        assertEquals(expected, lines.get(lines.size() - 1).get("generated_text").getAsString());
        assertEquals(
                "length",
                lines.get(lines.size() - 1)
                        .getAsJsonObject("details")
                        .get("finish_reason")
                        .getAsString());
    }

    @Test
    void djlStreamingPredictGivesTheSameLines() throws Exception {
        String expected = generated("w7 w8", Map.of("max_new_tokens", 5));
        try (Predictor<Input, Output> predictor = served.newPredictor()) {
            assertTrue(predictor.supportsStreaming());
            Output output =
                    predictor
                            .streamingPredict(
                                    json(
                                            "{\"inputs\": \"w7 w8\", \"stream\": true,"
                                                    + " \"parameters\": {\"max_new_tokens\": 5}}"))
                            .getIterativeOutput();
            IteratorBytesSupplier lines =
                    assertInstanceOf(IteratorBytesSupplier.class, output.getData());
            StringBuilder text = new StringBuilder();
            String last = null;
            while (lines.hasNext()) {
                last = new String(lines.next(), StandardCharsets.UTF_8);
                text.append(
                        JsonParser.parseString(last)
                                .getAsJsonObject()
                                .getAsJsonObject("token")
                                .get("text")
                                .getAsString());
            }
            assertEquals(expected, text.toString());
            assertEquals(
                    expected,
                    JsonParser.parseString(last)
                            .getAsJsonObject()
                            .get("generated_text")
                            .getAsString());
        }
    }

    @Test
    void clientsThatSendEveryTgiParameterAreServed() throws Exception {
        // what huggingface_hub's InferenceClient.text_generation sends: every key, mostly null
        Output output =
                predict(
                        "{\"inputs\": \"w10 w20\", \"parameters\": {\"best_of\": null,"
                                + " \"decoder_input_details\": false, \"details\": false,"
                                + " \"do_sample\": false, \"max_new_tokens\": 5,"
                                + " \"repetition_penalty\": null, \"return_full_text\": false,"
                                + " \"seed\": null, \"stop\": [], \"temperature\": null,"
                                + " \"top_k\": null, \"top_n_tokens\": null, \"top_p\": null,"
                                + " \"truncate\": null, \"typical_p\": null, \"watermark\": false},"
                                + " \"stream\": false}");
        assertEquals(200, output.getCode(), output.getMessage());
        assertEquals(
                generated("w10 w20", Map.of("max_new_tokens", 5)),
                body(output).getAsJsonObject().get("generated_text").getAsString());
        Output unsupported = predict("{\"inputs\": \"w10\", \"parameters\": {\"best_of\": 2}}");
        assertEquals(400, unsupported.getCode());
        assertTrue(unsupported.getMessage().contains("best_of"), unsupported.getMessage());
        Output chat =
                predict(
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"w10\"}],"
                                + " \"max_tokens\": 3, \"frequency_penalty\": 0,"
                                + " \"presence_penalty\": 0.0, \"temperature\": null,"
                                + " \"response_format\": {\"type\": \"text\"}}");
        assertEquals(200, chat.getCode(), chat.getMessage());
    }

    @Test
    void perRequestSamplingIsSeededAndLeavesOthersGreedy() throws Exception {
        String sampled =
                "{\"inputs\": \"w10 w20\", \"parameters\": {\"do_sample\": true, \"temperature\":"
                        + " 50, \"top_k\": 0, \"seed\": 7, \"max_new_tokens\": 10}}";
        String first = body(predict(sampled)).getAsJsonObject().get("generated_text").getAsString();
        String again = body(predict(sampled)).getAsJsonObject().get("generated_text").getAsString();
        assertEquals(first, again);
        String greedy =
                body(predict("{\"inputs\": \"w10 w20\", \"parameters\": {\"max_new_tokens\": 10}}"))
                        .getAsJsonObject()
                        .get("generated_text")
                        .getAsString();
        assertNotEquals(greedy, first);
        assertEquals(generated("w10 w20", Map.of("max_new_tokens", 10)), greedy);
    }

    @Test
    void malformedRequestsGet400AndServingGoesOn() throws Exception {
        String[][] cases = {
            {"{not json", "not valid JSON"},
            {"{\"input\": \"w5\"}", "\"inputs\""},
            {"{\"inputs\": 5}", "\"inputs\" must be a string or a list of strings"},
            {
                "{\"inputs\": \"w5\", \"parameters\": {\"max_new_token\": 3}}",
                "did you mean max_new_tokens"
            },
            {"{\"inputs\": \"w5\", \"parameters\": {\"top_p\": 3}}", "top_p=3"},
            {"{\"inputs\": [\"w5\", \"w6\"], \"stream\": true}", "one input"},
            {"{\"messages\": []}", "\"messages\""},
            {
                "{\"messages\": [{\"role\": \"user\", \"content\": \"w5\"}], \"n\": 2}",
                "\"n\" must be 1"
            }
        };
        for (String[] c : cases) {
            Output output = predict(c[0]);
            assertEquals(400, output.getCode(), c[0]);
            String error = body(output).getAsJsonObject().get("error").getAsString();
            assertTrue(error.contains(c[1]), c[0] + " -> " + error);
            assertTrue(output.getMessage().contains(c[1]), output.getMessage());
        }
        // one bad request in a batch: the others are served
        try (Predictor<Input, Output> predictor = served.newPredictor()) {
            List<Output> outputs =
                    predictor.batchPredict(
                            List.of(
                                    json("{\"inputs\": \"w10\"}"),
                                    json(
                                            "{\"inputs\": \"w10\", \"parameters\": {\"seed\":"
                                                    + " \"x\"}}"),
                                    json("{\"inputs\": \"w11\"}")));
            assertEquals(200, outputs.get(0).getCode());
            assertEquals(400, outputs.get(1).getCode());
            assertEquals(200, outputs.get(2).getCode());
            assertEquals(
                    generated("w11", Map.of()),
                    body(outputs.get(2)).getAsJsonObject().get("generated_text").getAsString());
        }
    }

    @Test
    void openAiChatWithTheModelsTemplate() throws Exception {
        Output output =
                predict(
                        "{\"model\": \"tiny\", \"messages\": [{\"role\": \"user\", \"content\":"
                                + " \"w10 w20\"}], \"max_tokens\": 4}");
        assertEquals(200, output.getCode());
        JsonObject body = body(output).getAsJsonObject();
        assertEquals("chat.completion", body.get("object").getAsString());
        JsonObject choice = body.getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals("assistant", choice.getAsJsonObject("message").get("role").getAsString());
        String expected =
                reference
                        .generate(
                                GenerationRequest.builder()
                                        .setMessages(
                                                List.of(
                                                        Map.of(
                                                                "role", "user", "content",
                                                                "w10 w20")))
                                        .optParameter("max_new_tokens", 4)
                                        .build())
                        .getText();
        assertEquals(expected, choice.getAsJsonObject("message").get("content").getAsString());
        JsonObject usage = body.getAsJsonObject("usage");
        // "<s>w10 w20 w3": 4 prompt tokens
        assertEquals(4, usage.get("prompt_tokens").getAsInt());
        assertEquals(
                usage.get("prompt_tokens").getAsInt() + usage.get("completion_tokens").getAsInt(),
                usage.get("total_tokens").getAsInt());
    }

    @Test
    void concurrentRequestsEqualSequentialOnes() throws Exception {
        String[] bodies = {
            "{\"inputs\": \"w10 w20 w30\"}",
            "{\"inputs\": [\"w5\", \"w6 w7\"], \"parameters\": {\"max_new_tokens\": 5}}",
            "{\"inputs\": \"w40\", \"parameters\": {\"do_sample\": true, \"temperature\": 30,"
                    + " \"seed\": 3}}",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"w50 w51\"}], \"max_tokens\": 6}"
        };
        String[] expected = new String[bodies.length];
        for (int i = 0; i < bodies.length; i++) {
            expected[i] = canonical(predict(bodies[i]));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                futures.add(
                        pool.submit(
                                () -> {
                                    List<String> out = new ArrayList<>();
                                    try (Predictor<Input, Output> p = served.newPredictor()) {
                                        for (int r = 0; r < 4; r++) {
                                            int i = (offset + r) % bodies.length;
                                            out.add(
                                                    i
                                                            + ":"
                                                            + canonical(
                                                                    p.predict(json(bodies[i]))));
                                        }
                                    }
                                    return out;
                                }));
            }
            for (Future<List<String>> future : futures) {
                for (String result : future.get()) {
                    int i = Integer.parseInt(result.substring(0, result.indexOf(':')));
                    assertEquals(expected[i], result.substring(result.indexOf(':') + 1));
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** The response without the fields that change per call (chat ids and times). */
    private static String canonical(Output output) {
        JsonElement body = body(output);
        if (body.isJsonObject() && body.getAsJsonObject().has("choices")) {
            return body.getAsJsonObject().getAsJsonArray("choices").toString();
        }
        return body.toString();
    }

    @Test
    void misspelledOptionFailsClearlyAndServingKeysAreAccepted(@TempDir Path other)
            throws Exception {
        writeModel(other, "option.bitz=4\n");
        Exception e = assertThrows(Exception.class, () -> servingCriteria(other).loadModel());
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append(" | ");
        }
        assertTrue(
                messages.toString().contains("Unknown option bitz (did you mean bits?)"),
                messages.toString());
    }

    @Test
    void exampleServingPropertiesServesTheEmbeddedModel(@TempDir Path model) throws Exception {
        Path example = Paths.get("..", "examples", "serving", "serving.properties");
        Assumptions.assumeTrue(
                Files.isRegularFile(example), "run from the integration-tests module");
        Path embedded = EmbeddedModel.directory();
        try (Stream<Path> files = Files.list(embedded)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
        Files.copy(example, model.resolve("serving.properties"));
        try (ZooModel<Input, Output> story = servingCriteria(model).loadModel();
                Predictor<Input, Output> predictor = story.newPredictor()) {
            MetalModel metal = (MetalModel) story.getWrappedModel();
            assertEquals(4, metal.getConfig().getBits());
            assertEquals(64, metal.getConfig().getGroupSize());
            GenerationConfig config = TextGenerator.of(story).getConfig();
            assertEquals(128, config.getMaxNewTokens());
            assertTrue(config.isDoSample());
            assertEquals(0.7f, config.getTemperature());
            assertEquals(0.9f, config.getTopP());
            assertEquals(1.1f, config.getRepetitionPenalty());
            Output output =
                    predictor.predict(
                            json(
                                    "{\"inputs\": \"Once upon a time\", \"parameters\":"
                                            + " {\"max_new_tokens\": 12, \"seed\": 1}}"));
            assertEquals(200, output.getCode());
            assertFalse(
                    body(output).getAsJsonObject().get("generated_text").getAsString().isEmpty());
        }
    }
}
