package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.inference.streaming.StreamingTranslator.StreamOutput;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import dev.djlmetal.engine.loading.CheckpointLoader;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.testing.LogitBounds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL's generation conventions with the Metal engine: {@code Predictor.streamingPredict} through
 * the generation block (iterative and asynchronous), typed requests with their own parameters, and
 * the tokens' log-probabilities.
 */
class StreamingPredictTest {

    private static final String PROMPT = "w10 w20 w30";

    @TempDir static Path dir;

    private static ZooModel<GenerationRequest, GenerationStream> streams;
    private static ZooModel<GenerationRequest, GenerationResult> results;

    @BeforeAll
    static void load() throws Exception {
        TinyLlamaDirs.write(dir, 21, Long.MAX_VALUE);
        streams =
                Criteria.builder()
                        .setTypes(GenerationRequest.class, GenerationStream.class)
                        .optEngine("Metal")
                        .optModelPath(dir)
                        .optArgument("maxNewTokens", 20)
                        .build()
                        .loadModel();
        results =
                Criteria.builder()
                        .setTypes(GenerationRequest.class, GenerationResult.class)
                        .optEngine("Metal")
                        .optModelPath(dir)
                        .optArgument("maxNewTokens", 20)
                        .build()
                        .loadModel();
    }

    @AfterAll
    static void close() {
        streams.close();
        results.close();
    }

    private static GenerationResult predict(GenerationRequest request) throws TranslateException {
        try (Predictor<GenerationRequest, GenerationResult> predictor = results.newPredictor()) {
            return predictor.predict(request);
        }
    }

    private static String join(Iterable<GeneratedToken> tokens, List<GeneratedToken> into) {
        StringBuilder sb = new StringBuilder();
        for (GeneratedToken token : tokens) {
            into.add(token);
            sb.append(token.getText());
        }
        return sb.toString();
    }

    @Test
    void iterativeStreamingYieldsThePredictedTokens() throws Exception {
        GenerationRequest request = GenerationRequest.of(PROMPT);
        GenerationResult expected = predict(request);
        try (Predictor<GenerationRequest, GenerationStream> predictor = streams.newPredictor()) {
            assertTrue(predictor.supportsStreaming());
            GenerationStream stream = predictor.streamingPredict(request).getIterativeOutput();
            List<GeneratedToken> tokens = new ArrayList<>();
            String text = join(stream, tokens);
            assertEquals(expected.getText(), text);
            assertEquals(expected.getTokens().size(), tokens.size());
            GenerationResult result = stream.getResult();
            assertEquals(expected.getText(), result.getText());
            assertEquals(expected.getFinishReason(), result.getFinishReason());
            assertThrows(IllegalStateException.class, stream::iterator, "iterated once");
        }
    }

    @Test
    void asynchronousStreamingFillsTheOutputFromAnotherThread() throws Exception {
        GenerationRequest request =
                GenerationRequest.builder()
                        .setPrompt(PROMPT)
                        .optParameter("do_sample", true)
                        .optParameter("seed", 5)
                        .build();
        GenerationResult expected = predict(request);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Predictor<GenerationRequest, GenerationStream> predictor = streams.newPredictor()) {
            StreamOutput<GenerationStream> output = predictor.streamingPredict(request);
            GenerationStream stream = output.getAsyncOutput();
            Future<?> producer = pool.submit(output::computeAsyncOutput);
            List<GeneratedToken> tokens = new ArrayList<>();
            assertEquals(expected.getText(), join(stream, tokens));
            producer.get();
            assertEquals(expected.getFinishReason(), stream.getResult().getFinishReason());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void requestParametersApplyToTheirRequestOnly() throws Exception {
        GenerationResult greedy = predict(GenerationRequest.of(PROMPT));
        GenerationResult three =
                predict(
                        GenerationRequest.builder()
                                .setPrompt(PROMPT)
                                .optParameter("max_new_tokens", 3)
                                .build());
        assertEquals(3, three.getTokenIds().length);
        assertEquals(FinishReason.LENGTH, three.getFinishReason());
        GenerationRequest sampled =
                GenerationRequest.builder()
                        .setPrompt(PROMPT)
                        // the tiny random model is very sure of itself: a high temperature
                        .optParameter("temperature", 50)
                        .optParameter("seed", 17)
                        .build();
        GenerationResult first = predict(sampled);
        assertEquals(first.getText(), predict(sampled).getText(), "seeded");
        assertFalse(first.getText().equals(greedy.getText()), greedy + " / " + first);
        GenerationResult penalized =
                predict(
                        GenerationRequest.builder()
                                .setPrompt(PROMPT)
                                .optParameter("repetition_penalty", 3)
                                .build());
        assertFalse(penalized.getText().equals(greedy.getText()), greedy + " / " + penalized);
        assertEquals(greedy.getText(), predict(GenerationRequest.of(PROMPT)).getText());
        TranslateException e =
                assertThrows(
                        TranslateException.class,
                        () ->
                                predict(
                                        GenerationRequest.builder()
                                                .setPrompt(PROMPT)
                                                .optParameter("max_new_token", 5)
                                                .build()));
        String messages = CriteriaTranslatorTest.allMessages(e);
        assertTrue(
                messages.contains("Unknown parameter max_new_token (did you mean max_new_tokens?)"),
                messages);
    }

    @Test
    void greedyLogprobsAreTheModelsLogSoftmax() throws Exception {
        GenerationResult result = predict(GenerationRequest.of(PROMPT));
        GeneratedToken firstToken = result.getTokens().get(0);
        long[] prompt = TextGenerator.of(results).getTokenizer().encode(PROMPT);
        Criteria<ai.djl.ndarray.NDList, ai.djl.ndarray.NDList> logitsCriteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optEngine("Metal")
                        .optModelPath(dir)
                        .build();
        try (ZooModel<NDList, NDList> logits = logitsCriteria.loadModel();
                Predictor<NDList, NDList> predictor = logits.newPredictor();
                NDManager manager = logits.getNDManager().newSubManager()) {
            NDArray ids = manager.create(prompt, new Shape(1, prompt.length));
            float[] row = predictor.predict(new NDList(ids)).get(0).get("0, -1").toFloatArray();
            double max = Double.NEGATIVE_INFINITY;
            for (float v : row) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (float v : row) {
                sum += Math.exp(v - max);
            }
            double expected = row[(int) firstToken.getId()] - max - Math.log(sum);
            assertEquals(TokenSampler.argmax(row), firstToken.getId());
            double maxAbs = 0;
            for (float v : row) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
            DecoderConfig config = DecoderConfig.fromJson(CheckpointLoader.readConfig(dir));
            assertEquals(
                    expected,
                    firstToken.getLogprob(),
                    LogitBounds.of(config, prompt.length, 2).logprobTolerance(maxAbs, row.length));
        }
    }

    @Test
    void stringStreamsToo() throws Exception {
        Criteria<String, GenerationStream> criteria =
                Criteria.builder()
                        .setTypes(String.class, GenerationStream.class)
                        .optEngine("Metal")
                        .optModelPath(dir)
                        .optArgument("maxNewTokens", 8)
                        .build();
        try (ZooModel<String, GenerationStream> model = criteria.loadModel();
                Predictor<String, GenerationStream> predictor = model.newPredictor()) {
            Iterator<GeneratedToken> it =
                    predictor.streamingPredict(PROMPT).getIterativeOutput().iterator();
            StringBuilder sb = new StringBuilder();
            int count = 0;
            while (it.hasNext()) {
                sb.append(it.next().getText());
                count++;
            }
            assertTrue(count > 0 && count <= 8, "tokens: " + count);
            GenerationStream whole = predictor.predict(PROMPT);
            assertEquals(whole.getResult().getText(), sb.toString());
        }
    }

    @Test
    void closingAStreamEarlyReleasesItsCache() throws Exception {
        // the NDArray path, whose cache is engine arrays that can be counted (the array path
        // keeps it in Java memory, dropped with the batch)
        String previous = System.getProperty(ArrayDecoders.PROPERTY);
        System.setProperty(ArrayDecoders.PROPERTY, "false");
        try {
            NDManager root = streams.getNDManager();
            int before = root.getManagedArrays().size();
            try (Predictor<GenerationRequest, GenerationStream> predictor =
                    streams.newPredictor()) {
                try (GenerationStream stream =
                        predictor
                                .streamingPredict(GenerationRequest.of(PROMPT))
                                .getIterativeOutput()) {
                    Iterator<GeneratedToken> it = stream.iterator();
                    assertTrue(it.hasNext());
                    it.next();
                    assertTrue(root.getManagedArrays().size() > before, "the cache is held");
                }
            }
            assertEquals(before, root.getManagedArrays().size());
        } finally {
            if (previous == null) {
                System.clearProperty(ArrayDecoders.PROPERTY);
            } else {
                System.setProperty(ArrayDecoders.PROPERTY, previous);
            }
        }
    }
}
