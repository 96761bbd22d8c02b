package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sequences join a running batch between steps and leave it when they finish or are cancelled, on
 * both decoding paths (Java arrays and NDArray operations), and concurrent requests share one
 * continuous batch; every sequence gets what it gets alone.
 */
class ContinuousBatchingTest {

    @TempDir static Path dir;

    private static ZooModel<String, String> model;
    private static TextGenerator generator;

    private static final String[] PROMPTS = {"w10 w20 w30", "w5", "w40 w41 w42 w43 w44", "w90 w3"};

    @BeforeAll
    static void load() throws Exception {
        TinyLlamaDirs.write(dir, 17, Long.MAX_VALUE);
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

    /** Greedy tokens of one prompt decoded alone, on the given path. */
    private static long[] alone(String prompt, boolean arrays) {
        SequenceState s = sequence(prompt);
        try (DecodingBatch batch = newBatch(arrays, List.of(s))) {
            while (!batch.isEmpty()) {
                batch.step();
            }
        }
        return tokens(s);
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
        assertArrayEquals(alone(PROMPTS[0], arrays), tokens(first), PROMPTS[0]);
        for (int p = 1; p < PROMPTS.length; p++) {
            assertArrayEquals(alone(PROMPTS[p], arrays), tokens(later.get(p - 1)), PROMPTS[p]);
        }
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
        assertArrayEquals(alone(PROMPTS[2], arrays), tokens(kept));
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
            assertArrayEquals(
                    alone(PROMPTS[p], ArrayDecoders.of(model.getBlock()) != null),
                    tokens(sequences.get(p)),
                    PROMPTS[p]);
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
