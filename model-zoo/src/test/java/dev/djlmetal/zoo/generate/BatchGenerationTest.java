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
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.testing.LogitBounds;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A list of requests runs as one left-padded batch through the Llama blocks, each sequence with its
 * own settings and stop conditions, and gives what the requests give one at a time.
 */
class BatchGenerationTest {

    @TempDir static Path dir;

    private static ZooModel<String, String> model;
    private static TextGenerator generator;

    @BeforeAll
    static void load() throws Exception {
        TinyLlamaDirs.write(dir, 11, Long.MAX_VALUE);
        model =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optEngine("Metal")
                        .optModelPath(dir)
                        .optArgument("max_new_tokens", 24)
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

    private static List<GenerationRequest> requests() {
        return List.of(
                GenerationRequest.of("w10 w20 w30 w40 w50 w60 w70"),
                GenerationRequest.builder()
                        .setPrompt("w5")
                        .optParameter("max_new_tokens", 5)
                        .build(),
                GenerationRequest.builder()
                        .setPrompt("w40 w41 w42")
                        .optParameter("do_sample", true)
                        // the tiny random model is very sure of itself: a high temperature
                        .optParameter("temperature", 40)
                        .optParameter("top_k", 20)
                        .optParameter("seed", 3)
                        .build(),
                GenerationRequest.builder()
                        .setPrompt("w90 w3 w77 w64")
                        .optParameter("repetition_penalty", 1.5)
                        .optParameter("max_new_tokens", 30)
                        .build());
    }

    private static final int VOCAB = 96;

    /** Bounds of the tiny model over contexts of up to 64 positions, two float computations. */
    private static final LogitBounds BOUNDS =
            LogitBounds.of(DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson()), 64, 2);

    /**
     * Returns, for each generated token, the largest absolute logit of the row it was chosen from,
     * recomputed over the whole sequence in one forward pass.
     */
    private static float[] rowMaxAbs(String prompt, long[] generated) {
        long[] promptIds = generator.getTokenizer().encode(prompt);
        long[] all = new long[promptIds.length + generated.length];
        System.arraycopy(promptIds, 0, all, 0, promptIds.length);
        System.arraycopy(generated, 0, all, promptIds.length, generated.length);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray ids = manager.create(all, new Shape(1, all.length));
            float[] logits =
                    model.getBlock()
                            .forward(new ParameterStore(manager, false), new NDList(ids), false)
                            .head()
                            .toFloatArray();
            float[] max = new float[generated.length];
            for (int t = 0; t < generated.length; t++) {
                int row = (promptIds.length - 1 + t) * VOCAB;
                for (int v = 0; v < VOCAB; v++) {
                    max[t] = Math.max(max[t], Math.abs(logits[row + v]));
                }
            }
            return max;
        }
    }

    @Test
    void batchEqualsOneAtATime() {
        List<GenerationRequest> requests = requests();
        List<GenerationResult> batched = generator.generate(requests);
        assertEquals(requests.size(), batched.size());
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult alone = generator.generate(requests.get(i));
            assertArrayEquals(alone.getTokenIds(), batched.get(i).getTokenIds(), "request " + i);
            assertEquals(alone.getText(), batched.get(i).getText(), "request " + i);
            assertEquals(alone.getFinishReason(), batched.get(i).getFinishReason());
            // log-probabilities are floats from differently shaped computations: within the
            // model's rounding bound, scaled by the size of each step's logits
            float[] rowMaxAbs = rowMaxAbs(requests.get(i).getPrompt(), alone.getTokenIds());
            for (int t = 0; t < alone.getTokens().size(); t++) {
                assertEquals(
                        alone.getTokens().get(t).getLogprob(),
                        batched.get(i).getTokens().get(t).getLogprob(),
                        BOUNDS.logprobTolerance(rowMaxAbs[t], VOCAB),
                        "request " + i + " token " + t);
            }
        }
        assertEquals(5, batched.get(1).getTokens().size(), "its own max_new_tokens");
        assertEquals(FinishReason.LENGTH, batched.get(1).getFinishReason());
    }

    @Test
    void stopSequencesEndEachSequenceOnItsOwn() {
        GenerationResult free = generator.generate(GenerationRequest.of("w10 w20"));
        String[] words = free.getText().trim().split(" ");
        assertTrue(words.length > 4, free.getText());
        String stop = " " + words[3];
        GenerationRequest stopped =
                GenerationRequest.builder()
                        .setPrompt("w10 w20")
                        .optParameter("stop", List.of(stop, "w999"))
                        .build();
        List<GenerationResult> results =
                generator.generate(List.of(stopped, GenerationRequest.of("w10 w20")));
        assertEquals(
                free.getText().substring(0, free.getText().indexOf(stop)),
                results.get(0).getText());
        assertEquals(FinishReason.STOP_SEQUENCE, results.get(0).getFinishReason());
        assertEquals(free.getText(), results.get(1).getText(), "its neighbour ran on");
    }

    @Test
    void batchPredictIsOneBatchWithLastPositionLogitsOnly() throws Exception {
        String[] prompts = {"w10 w20 w30", "w5", "w40 w41 w42 w43 w44 w45"};
        List<String> expected = new ArrayList<>();
        for (String prompt : prompts) {
            expected.add(generator.generate(prompt));
        }
        try (Predictor<String, String> predictor = model.newPredictor()) {
            assertEquals(expected, predictor.batchPredict(Arrays.asList(prompts)));
        }

        CountingBlock counting = new CountingBlock(model.getBlock());
        TextGenerator counted =
                new TextGenerator(
                        counting,
                        model.getNDManager(),
                        generator.getTokenizer(),
                        generator.getConfig().withParameters(Map.of("max_new_tokens", 6)));
        counted.generate(
                Arrays.stream(prompts)
                        .map(GenerationRequest::of)
                        .collect(java.util.stream.Collectors.toList()));
        // one prefill for all three prompts, then one pass per token: 6 passes, not 18
        assertEquals(6, counting.shapes.size());
        assertEquals(new Shape(3, 1, 96), counting.shapes.get(0), "prefill: last position only");
        assertEquals(new Shape(3, 1, 96), counting.shapes.get(5));
    }

    @Test
    void greedyTokensMatchFullRecomputationPerRow() {
        // rows of a batch against the model run on each whole sequence without cache or padding
        List<GenerationRequest> requests =
                List.of(GenerationRequest.of("w7 w8 w9 w10 w11"), GenerationRequest.of("w60"));
        List<GenerationResult> results = generator.generate(requests);
        for (int i = 0; i < requests.size(); i++) {
            long[] prompt = generator.getTokenizer().encode(requests.get(i).getPrompt());
            long[] expected = greedyWithoutCache(prompt, results.get(i).getTokens().size());
            long[] got =
                    results.get(i).getTokens().stream().mapToLong(GeneratedToken::getId).toArray();
            assertArrayEquals(expected, got, "row " + i);
        }
    }

    private static long[] greedyWithoutCache(long[] prompt, int tokens) {
        long[] ids = prompt.clone();
        try (NDManager manager = model.getNDManager().newSubManager()) {
            ParameterStore parameters = new ParameterStore(manager, false);
            for (int i = 0; i < tokens; i++) {
                try (NDManager step = manager.newSubManager()) {
                    NDList out =
                            model.getBlock()
                                    .forward(
                                            parameters,
                                            new NDList(step.create(ids, new Shape(1, ids.length))),
                                            false);
                    float[] row = out.get(0).get("0, -1").toFloatArray();
                    ids = Arrays.copyOf(ids, ids.length + 1);
                    ids[ids.length - 1] = TokenSampler.argmax(row);
                }
            }
        }
        return Arrays.copyOfRange(ids, prompt.length, ids.length);
    }

    @Test
    void requestsOfAListFinishIndependently() {
        List<GenerationResult> results =
                generator.generate(
                        List.of(
                                GenerationRequest.builder()
                                        .setPrompt("w12")
                                        .optParameter("max_new_tokens", 1)
                                        .build(),
                                GenerationRequest.builder()
                                        .setPrompt("w13 w14")
                                        .optParameter("max_new_tokens", 0)
                                        .build(),
                                GenerationRequest.of("w15 w16 w17")));
        assertEquals(1, results.get(0).getTokenIds().length);
        assertEquals("", results.get(1).getText());
        assertEquals(0, results.get(1).getTokens().size());
        assertFalse(results.get(2).getTokens().isEmpty());
    }

    /** Records the logits shape of every forward pass. */
    private static final class CountingBlock extends AbstractBlock {

        private final Block inner;
        final List<Shape> shapes = new ArrayList<>();

        CountingBlock(Block inner) {
            this.inner = inner;
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            assertTrue(params != null && params.contains(CausalLM.LOGITS_TO_KEEP));
            NDList out = inner.forward(ps, inputs, training, params);
            shapes.add(out.get(0).getShape());
            return out;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inner.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(
                NDManager manager, DataType dataType, Shape... shapes) {
            // a view of an initialized block
        }
    }
}
