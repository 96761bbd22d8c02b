package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import dev.djlmetal.engine.loading.CheckpointLoader;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.testing.GreedyReference;
import dev.djlmetal.zoo.testing.LogitBounds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation with the Llama blocks loaded by the Metal engine, through the Criteria API. */
class LlamaGenerationTest {

    private static final String PROMPT = "w10 w20 w30";

    @TempDir static Path dir;

    private static ZooModel<String, String> model;

    @BeforeAll
    static void load() throws Exception {
        TinyLlamaDirs.write(dir, 5, Long.MAX_VALUE);
        model = criteria(40, 0f).loadModel();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static Criteria<String, String> criteria(int maxNewTokens, float temperature) {
        return Criteria.builder()
                .setTypes(String.class, String.class)
                .optEngine("Metal")
                .optModelPath(dir)
                .optArgument("maxNewTokens", maxNewTokens)
                .optArgument("temperature", temperature)
                .optArgument("seed", 77)
                .build();
    }

    @Test
    void greedyGenerationEqualsFullRecomputation() throws Exception {
        TextGenerator generator = TextGenerator.of(model);
        long[] prompt = generator.getTokenizer().encode(PROMPT);
        assertArrayEquals(new long[] {1, 10, 20, 30}, prompt);
        long[] generated = generator.generateIds(prompt);
        assertTrue(generated.length > 5, "the random model ends too soon: " + generated.length);
        // every cached step chose the maximum of the logits recomputed without a cache
        DecoderConfig config = DecoderConfig.fromJson(CheckpointLoader.readConfig(dir));
        GreedyReference.assertGreedy(
                model.getBlock(),
                LogitBounds.of(config, prompt.length + generated.length, 2),
                prompt,
                generated);
        String expectedText = generator.getTokenizer().decodeContinuation(prompt, generated);
        try (Predictor<String, String> predictor = model.newPredictor()) {
            assertEquals(expectedText, predictor.predict(PROMPT));
        }
    }

    @Test
    void streamingYieldsTheSameText() throws Exception {
        List<String> pieces = new ArrayList<>();
        String streamed = TextGenerator.of(model).generate(PROMPT, pieces::add);
        try (Predictor<String, String> predictor = model.newPredictor()) {
            assertEquals(predictor.predict(PROMPT), streamed);
        }
        assertEquals(streamed, String.join("", pieces));
        assertTrue(pieces.size() > 5);
    }

    @Test
    void fourThreadsWithTheirOwnPredictorsMatchOneThread() throws Exception {
        String[] prompts = {"w10 w20 w30", "w5", "w40 w41 w42 w43 w44", "w90 w3"};
        try (ZooModel<String, String> sampled = criteria(30, 0.9f).loadModel()) {
            String[] expected = new String[prompts.length];
            try (Predictor<String, String> predictor = sampled.newPredictor()) {
                for (int i = 0; i < prompts.length; i++) {
                    expected[i] = predictor.predict(prompts[i]);
                }
            }
            assertFalse(expected[0].equals(model.newPredictor().predict(prompts[0])));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<String>>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int offset = t;
                    futures.add(
                            pool.submit(
                                    () -> {
                                        List<String> out = new ArrayList<>();
                                        try (Predictor<String, String> p = sampled.newPredictor()) {
                                            for (int r = 0; r < 3; r++) {
                                                int i = (offset + r) % prompts.length;
                                                out.add(i + ":" + p.predict(prompts[i]));
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
    }

    @Test
    void nativeArraysStayFlatOverManyTokens() throws Exception {
        GenerationConfig config =
                GenerationConfig.builder()
                        .optMaxNewTokens(120)
                        .optDoSample(true)
                        .optTemperature(1f)
                        .optEosTokenIds(List.of())
                        .build();
        TextGenerator generator = TextGenerator.of(model).withConfig(config);
        NDManager root = model.getNDManager();
        int before = root.getManagedArrays().size();
        int tokens = 0;
        long[] prompt = generator.getTokenizer().encode(PROMPT);
        for (int request = 0; request < 5; request++) {
            List<Integer> counts = new ArrayList<>();
            StringBuilder streamed = new StringBuilder();
            TextGenerator seeded =
                    generator.withConfig(config.toBuilder().optSeed((long) request).build());
            String text =
                    seeded.generate(
                            PROMPT,
                            piece -> {
                                counts.add(root.getManagedArrays().size());
                                streamed.append(piece);
                            });
            // the text is the 120 sampled tokens that the same seed gives as ids: the words
            // " wN" of the word-level vocabulary, special tokens (ids 0 to 2) left out
            assertEquals(text, streamed.toString());
            long[] ids = seeded.generateIds(prompt);
            assertEquals(120, ids.length);
            StringBuilder words = new StringBuilder();
            for (long id : ids) {
                if (id > 2) {
                    words.append(" w").append(id);
                }
            }
            assertEquals(words.toString(), text);
            tokens += counts.size();
            // within a request: the cache is replaced, not accumulated
            assertEquals(counts.get(5), counts.get(counts.size() - 1), "request " + request);
            // between requests: everything the request created is gone
            assertEquals(before, root.getManagedArrays().size(), "after request " + request);
        }
        assertEquals(600, tokens);

        // the predictor path: its prefill runs in DJL's predictor, the rest in the generator
        try (Predictor<String, String> predictor = model.newPredictor()) {
            for (int request = 0; request < 3; request++) {
                predictor.predict(PROMPT);
                assertEquals(before, root.getManagedArrays().size(), "predict " + request);
            }
        }
    }

    @Test
    void ndListCriteriaGivesLogits() throws Exception {
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optEngine("Metal")
                        .optModelPath(dir)
                        .build();
        try (ZooModel<NDList, NDList> logitsModel = criteria.loadModel();
                Predictor<NDList, NDList> predictor = logitsModel.newPredictor();
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            long[] ids = {1, 10, 20, 30, 40, 50, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12};
            NDArray batch = manager.create(ids, new Shape(2, 8));
            NDList out = predictor.predict(new NDList(batch));
            NDArray logits = out.get(0);
            assertEquals(DataType.FLOAT32, logits.getDataType());
            assertEquals(new Shape(2, 8, 96), logits.getShape());
            ParameterStore parameters = new ParameterStore(manager, false);
            NDArray second = manager.create(Arrays.copyOfRange(ids, 8, 16), new Shape(1, 8));
            NDArray alone = model.getBlock().forward(parameters, new NDList(second), false).get(0);
            DecoderConfig config = DecoderConfig.fromJson(CheckpointLoader.readConfig(dir));
            LogitBounds.of(config, 8, 2)
                    .assertClose(
                            alone.toFloatArray(),
                            logits.get("1:2").toFloatArray(),
                            96,
                            "second row of the batch against the row alone");
        }
    }
}
