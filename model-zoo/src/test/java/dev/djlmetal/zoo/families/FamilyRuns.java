package dev.djlmetal.zoo.families;

import static dev.djlmetal.zoo.families.FamilyFixture.assertLogitsClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.decoder.KvCache;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Loads fixture checkpoints through the Criteria API and runs them as generation does. */
final class FamilyRuns {

    private FamilyRuns() {}

    /** Options of a Criteria load, in order. */
    static Map<String, String> options(String... keyValues) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            out.put(keyValues[i], keyValues[i + 1]);
        }
        return out;
    }

    /** Loads a checkpoint directory as {@code Criteria<NDList, NDList>} on engine Metal. */
    static ZooModel<NDList, NDList> load(Path dir, Map<String, String> options) throws Exception {
        Criteria.Builder<NDList, NDList> b =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optEngine("Metal")
                        .optModelPath(dir);
        for (Map.Entry<String, String> e : options.entrySet()) {
            b.optOption(e.getKey(), e.getValue());
        }
        return b.build().loadModel();
    }

    /** The prompt's logits {@code [S, V]} from the model's predictor (the NDList translator). */
    static float[] promptLogits(ZooModel<NDList, NDList> model, long[] prompt) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                Predictor<NDList, NDList> predictor = model.newPredictor()) {
            NDArray ids = manager.create(prompt, new Shape(1, prompt.length));
            return predictor.predict(new NDList(ids)).head().toFloatArray();
        }
    }

    /** Greedy tokens and the logits of each step, generated with the key/value cache. */
    static final class Greedy {
        final long[] tokens;
        final float[] steps;

        Greedy(long[] tokens, float[] steps) {
            this.tokens = tokens;
            this.steps = steps;
        }
    }

    /**
     * Generates greedily as the generation code does: a prefill keeping the last position's logits,
     * then one token at a time through the cache.
     */
    static Greedy greedy(ZooModel<?, ?> model, long[] prompt, int newTokens) {
        CausalLM lm = (CausalLM) model.getBlock();
        int vocab = lm.getConfig().getVocabSize();
        long[] tokens = new long[newTokens];
        float[] steps = new float[newTokens * vocab];
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList out =
                    lm.forward(
                            manager.create(prompt, new Shape(1, prompt.length)),
                            KvCache.empty(),
                            null,
                            1);
            for (int step = 0; step < newTokens; step++) {
                float[] logits = out.head().toFloatArray();
                System.arraycopy(logits, 0, steps, step * vocab, vocab);
                int best = 0;
                for (int v = 1; v < vocab; v++) {
                    if (logits[v] > logits[best]) {
                        best = v;
                    }
                }
                tokens[step] = best;
                out =
                        lm.forward(
                                manager.create(new long[] {best}, new Shape(1, 1)),
                                KvCache.fromOutput(out),
                                null,
                                1);
            }
        }
        return new Greedy(tokens, steps);
    }

    /**
     * Asserts that a loaded model gives transformers' prompt logits and greedy tokens for a variant
     * of the fixture, as recorded in the fixture.
     */
    static void assertMatches(
            String what, ZooModel<NDList, NDList> model, FamilyFixture fixture, String variant)
            throws Exception {
        assertMatches(
                what, model, fixture.prompt(), fixture.logits(variant), fixture.tokens(variant));
    }

    /**
     * Asserts that a loaded model gives transformers' prompt logits and greedy tokens for a variant
     * of the fixture.
     */
    static void assertMatches(
            String what,
            ZooModel<NDList, NDList> model,
            long[] prompt,
            float[] logits,
            long[] tokens)
            throws Exception {
        assertLogitsClose(what + " prompt logits", logits, promptLogits(model, prompt));
        Greedy g = greedy(model, prompt, tokens.length);
        assertArrayEquals(
                tokens,
                g.tokens,
                what
                        + " greedy tokens: expected "
                        + Arrays.toString(tokens)
                        + ", got "
                        + Arrays.toString(g.tokens));
    }
}
