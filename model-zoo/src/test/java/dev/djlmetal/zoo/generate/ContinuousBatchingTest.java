package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import dev.djlmetal.zoo.EmbeddedModel;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.testing.LogitBounds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sequences join a running batch between steps and leave it when they finish or are cancelled, on
 * both decoding paths (Java arrays and NDArray operations), and concurrent requests share one
 * continuous batch; every sequence gets what it gets alone.
 */
class ContinuousBatchingTest {

    private static ZooModel<String, String> model;
    private static TextGenerator generator;

    private static DecoderConfig config;

    /** Story openings of different lengths for the embedded model (a trained model). */
    private static final String[] PROMPTS = {
        "Once upon a time, there was a little dog",
        "One day",
        "Lily and her mom went to the park. They saw a big red ball near the tree, and",
        "The cat"
    };

    private static final String LONG_PROMPT =
            "Once upon a time, there was a tiny girl named Lily. Every day, Lily went to the park"
                    + " to read. One day, she saw";

    @BeforeAll
    static void load() throws Exception {
        Assumptions.assumeTrue(EmbeddedModel.isAvailable(), "the embedded model is not packed");
        Path dir = EmbeddedModel.directory();
        config = DecoderConfig.fromFile(dir.resolve("config.json"));
        model =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optEngine("Metal")
                        .optModelPath(dir)
                        .optArgument("max_new_tokens", 12)
                        .optArgument("max_rolling_batch_size", 3)
                        .build()
                        .loadModel();
        generator = TextGenerator.of(model);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static SequenceState sequence(String prompt) {
        return generator.newSequence(GenerationRequest.of(prompt), null);
    }

    /** One prompt decoded alone, on the given path. */
    private static SequenceState alone(String prompt, boolean arrays) {
        SequenceState s = sequence(prompt);
        try (DecodingBatch batch = newBatch(arrays, List.of(s))) {
            while (!batch.isEmpty()) {
                batch.step();
            }
        }
        return s;
    }

    /**
     * Asserts the same greedy tokens and the same log-probabilities, within the model's rounding
     * bound scaled by each step's largest logit (recomputed over the whole sequence).
     */
    private static void assertSameGeneration(SequenceState expected, SequenceState actual) {
        long[] ids = tokens(expected);
        assertArrayEquals(ids, tokens(actual), actual.toString());
        long[] prompt = expected.getPromptIds();
        long[] all = new long[prompt.length + ids.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(ids, 0, all, prompt.length, ids.length);
        float[] logits;
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray input = manager.create(all, new Shape(1, all.length));
            logits =
                    model.getBlock()
                            .forward(new ParameterStore(manager, false), new NDList(input), false)
                            .head()
                            .toFloatArray();
        }
        int vocab = config.getVocabSize();
        LogitBounds bounds = LogitBounds.of(config, all.length, 2);
        for (int t = 0; t < ids.length; t++) {
            int row = (prompt.length - 1 + t) * vocab;
            double max = 0;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, Math.abs(logits[row + v]));
            }
            assertEquals(
                    expected.getResult().getTokens().get(t).getLogprob(),
                    actual.getResult().getTokens().get(t).getLogprob(),
                    bounds.logprobTolerance(max, vocab),
                    "log-probability of token " + t);
        }
    }

    private static DecodingBatch newBatch(boolean arrays, List<SequenceState> sequences) {
        DecodingBatch batch =
                new DecodingBatch(
                        model.getBlock(),
                        model.getNDManager(),
                        arrays ? ArrayDecoders.of(model.getBlock()) : null,
                        sequences);
        assertEquals(arrays, batch.isArrayPath());
        return batch;
    }

    private static long[] tokens(SequenceState s) {
        return s.getResult().getTokens().stream().mapToLong(GeneratedToken::getId).toArray();
    }

    @ParameterizedTest(name = "array path {0}")
    @ValueSource(booleans = {true, false})
    void sequencesJoiningBetweenStepsGetWhatTheyGetAlone(boolean arrays) {
        SequenceState first = sequence(PROMPTS[0]);
        List<SequenceState> later = new ArrayList<>();
        try (DecodingBatch batch = newBatch(arrays, List.of(first))) {
            for (int i = 0; i < 3; i++) {
                batch.step();
            }
            for (int p = 1; p < PROMPTS.length; p++) {
                SequenceState s = sequence(PROMPTS[p]);
                later.add(s);
                batch.add(s);
                batch.step();
                batch.step();
            }
            assertEquals(PROMPTS.length, batch.size(), "every sequence is still running");
            while (!batch.isEmpty()) {
                batch.step();
            }
        }
        assertSameGeneration(alone(PROMPTS[0], arrays), first);
        for (int p = 1; p < PROMPTS.length; p++) {
            assertSameGeneration(alone(PROMPTS[p], arrays), later.get(p - 1));
        }
    }

    /**
     * A newcomer with a longer context than the running rows: on the NDArray path the running rows'
     * cache is left-padded to the newcomer's length, not the other way round.
     */
    @ParameterizedTest(name = "array path {0}")
    @ValueSource(booleans = {true, false})
    void aLongerNewcomerJoinsShortRunningRows(boolean arrays) {
        SequenceState shortOne = sequence(PROMPTS[1]);
        SequenceState longOne = sequence(LONG_PROMPT);
        try (DecodingBatch batch = newBatch(arrays, List.of(shortOne))) {
            batch.step();
            batch.add(longOne);
            while (!batch.isEmpty()) {
                batch.step();
            }
        }
        assertSameGeneration(alone(PROMPTS[1], arrays), shortOne);
        assertSameGeneration(alone(LONG_PROMPT, arrays), longOne);
    }

    @ParameterizedTest(name = "array path {0}")
    @ValueSource(booleans = {true, false})
    void aCancelledSequenceLeavesTheBatchAndTheOthersGoOn(boolean arrays) {
        SequenceState kept = sequence(PROMPTS[2]);
        SequenceState cancelled = sequence(PROMPTS[1]);
        try (DecodingBatch batch = newBatch(arrays, List.of(kept, cancelled))) {
            batch.step();
            batch.step();
            cancelled.cancel();
            batch.step();
            assertEquals(1, batch.size());
            while (!batch.isEmpty()) {
                batch.step();
            }
        }
        assertTrue(cancelled.isCancelled());
        assertThrows(IllegalStateException.class, cancelled::getResult);
        assertSameGeneration(alone(PROMPTS[2], arrays), kept);
    }

    /**
     * Requests submitted while another decodes join its batch (the first request's listener holds
     * the decoding thread at its first token until the others are queued), at most {@code
     * max_rolling_batch_size} at a time, and each gets what it gets alone.
     */
    @Test
    void concurrentRequestsShareTheContinuousBatch() throws Exception {
        ContinuousBatcher batcher = generator.getBatcher();
        assertEquals(3, batcher.getMaxBatch());
        CountDownLatch queued = new CountDownLatch(1);
        TokenListener holdFirstToken =
                new TokenListener() {
                    private boolean held;

                    @Override
                    public void onToken(GeneratedToken token) {
                        if (!held) {
                            held = true;
                            try {
                                assertTrue(queued.await(60, TimeUnit.SECONDS));
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }

                    @Override
                    public void onFinish(GenerationResult result) {}
                };
        List<SequenceState> sequences = new ArrayList<>();
        sequences.add(generator.newSequence(GenerationRequest.of(PROMPTS[0]), holdFirstToken));
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        futures.add(batcher.submit(List.of(sequences.get(0))));
        for (int p = 1; p < PROMPTS.length; p++) {
            SequenceState s = sequence(PROMPTS[p]);
            sequences.add(s);
            futures.add(batcher.submit(List.of(s)));
        }
        queued.countDown();
        for (CompletableFuture<Void> f : futures) {
            f.get(120, TimeUnit.SECONDS);
        }
        assertEquals(3, batcher.getPeakBatch(), "the batch filled up to max_rolling_batch_size");
        for (int p = 0; p < PROMPTS.length; p++) {
            assertFalse(sequences.get(p).isCancelled());
            assertSameGeneration(
                    alone(PROMPTS[p], ArrayDecoders.of(model.getBlock()) != null),
                    sequences.get(p));
        }
        // the String predictor goes through the same batch
        assertEquals(
                generator.generate(GenerationRequest.of(PROMPTS[3])).getText(),
                model.newPredictor().predict(PROMPTS[3]));
    }

    @Test
    void aBadBatchLimitIsNamed() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                TextGenerator.newInstance(
                                        model.getWrappedModel(),
                                        Map.of(TextGenerator.MAX_BATCH_OPTION, "0")));
        assertTrue(e.getMessage().contains(TextGenerator.MAX_BATCH_OPTION), e.getMessage());
    }
}
