package dev.djlmetal.zoo.families;

import static dev.djlmetal.zoo.families.FamilyFixture.assertLogitsClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.zoo.decoder.ArrayDecoder;
import dev.djlmetal.zoo.decoder.ArraySequence;
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.testing.GreedyReference;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The array decoder (hidden states in Java memory between the cpu backend's products) against
 * transformers' logits of every generation step, for every family it runs, in float and 4-bit;
 * several sequences of different lengths stepping together against each one alone; and the families
 * it leaves to the NDArray path.
 */
class ArrayDecoderTest {

    static Stream<String> denseFamilies() {
        return FamilyFixture.CASES.stream().filter(name -> !FamilyFixture.MOE.contains(name));
    }

    /** Greedy generation through the array decoder: the tokens and the logits of every step. */
    private static FamilyRuns.Greedy generate(
            ArrayDecoder decoder, long[] prompt, int newTokens, int vocab) {
        long[] tokens = new long[newTokens];
        float[] steps = new float[newTokens * vocab];
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ArraySequence sequence = decoder.newSequence(prompt.length + newTokens);
            float[] logits = decoder.prefill(sequence, prompt, manager);
            for (int step = 0; step < newTokens; step++) {
                System.arraycopy(logits, 0, steps, step * vocab, vocab);
                tokens[step] = GreedyReference.argmax(logits);
                logits = decoder.step(List.of(sequence), new long[] {tokens[step]}, manager)[0];
            }
            assertEquals(prompt.length + newTokens, sequence.length());
        }
        return new FamilyRuns.Greedy(tokens, steps);
    }

    /** Float: every step's logits and the greedy tokens are transformers' own. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("denseFamilies")
    void floatStepsMatchTransformers(String name) throws Exception {
        FamilyFixture f = FamilyFixture.of(name);
        try (ZooModel<NDList, NDList> model =
                FamilyRuns.load(f.dir, FamilyRuns.options("backend", "cpu"))) {
            ArrayDecoder decoder = ArrayDecoder.create((CausalLM) model.getBlock());
            FamilyRuns.Greedy g = generate(decoder, f.prompt(), f.newTokens(), f.vocab());
            assertArrayEquals(f.floatTokens(), g.tokens, name + " greedy tokens");
            assertLogitsClose(name + " float steps", f.floatSteps(), g.steps);
        }
    }

    /**
     * 4-bit on the cpu backend: the array decoder computes what the model's NDArray path computes
     * with its cache (the same quantized weights, another order of float operations).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("denseFamilies")
    void quantizedStepsMatchTheNDArrayPath(String name) throws Exception {
        FamilyFixture f = FamilyFixture.of(name);
        try (ZooModel<NDList, NDList> model =
                FamilyRuns.load(
                        f.dir,
                        FamilyRuns.options("bits", "4", "group_size", "32", "backend", "cpu"))) {
            FamilyRuns.Greedy reference = FamilyRuns.greedy(model, f.prompt(), f.newTokens());
            ArrayDecoder decoder = ArrayDecoder.create((CausalLM) model.getBlock());
            FamilyRuns.Greedy g = generate(decoder, f.prompt(), f.newTokens(), f.vocab());
            assertArrayEquals(reference.tokens, g.tokens, name + " greedy tokens");
            assertLogitsClose(name + " 4-bit steps", reference.steps, g.steps);
        }
    }

    /**
     * Two sequences of different lengths step together, each over its own cache (no padding), and
     * each gets the logits it gets alone; past the sliding window the ring cache is in use.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("denseFamilies")
    void sequencesOfDifferentLengthsStepTogether(String name) throws Exception {
        FamilyFixture f = FamilyFixture.of(name);
        long[] longPrompt = f.prompt();
        long[] shortPrompt = Arrays.copyOf(longPrompt, Math.max(1, longPrompt.length - 3));
        int steps = 8;
        try (ZooModel<NDList, NDList> model =
                        FamilyRuns.load(
                                f.dir,
                                FamilyRuns.options(
                                        "bits", "8", "group_size", "32", "backend", "cpu"));
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ArrayDecoder decoder = ArrayDecoder.create((CausalLM) model.getBlock());
            FamilyRuns.Greedy longAlone = generate(decoder, longPrompt, steps, f.vocab());
            FamilyRuns.Greedy shortAlone = generate(decoder, shortPrompt, steps, f.vocab());
            ArraySequence a = decoder.newSequence(4);
            ArraySequence b = decoder.newSequence(4);
            decoder.prefill(a, longPrompt, manager);
            decoder.prefill(b, shortPrompt, manager);
            for (int step = 0; step < steps; step++) {
                long[] tokens = {longAlone.tokens[step], shortAlone.tokens[step]};
                float[][] logits = decoder.step(List.of(a, b), tokens, manager);
                if (step + 1 < steps) {
                    int from = (step + 1) * f.vocab();
                    assertLogitsClose(
                            name + " long row, step " + step,
                            Arrays.copyOfRange(longAlone.steps, from, from + f.vocab()),
                            logits[0]);
                    assertLogitsClose(
                            name + " short row, step " + step,
                            Arrays.copyOfRange(shortAlone.steps, from, from + f.vocab()),
                            logits[1]);
                }
            }
            assertEquals(longPrompt.length + steps, a.length());
            assertEquals(shortPrompt.length + steps, b.length());
            assertTrue(a.cacheBytes() > 0);
        }
    }

    @Test
    void mixtureOfExpertsModelsStayOnTheNDArrayPath() throws Exception {
        FamilyFixture f = FamilyFixture.of("mixtral");
        try (ZooModel<NDList, NDList> model =
                FamilyRuns.load(f.dir, FamilyRuns.options("backend", "cpu"))) {
            UnsupportedOperationException e =
                    assertThrows(
                            UnsupportedOperationException.class,
                            () -> ArrayDecoder.create((CausalLM) model.getBlock()));
            assertTrue(e.getMessage().contains("mixture-of-experts"), e.getMessage());
        }
    }

    @Test
    void layersOnAnotherBackendAreNamed() throws Exception {
        FamilyFixture f = FamilyFixture.of("llama");
        try (ZooModel<NDList, NDList> model =
                FamilyRuns.load(
                        f.dir,
                        FamilyRuns.options(
                                "bits", "4", "group_size", "32", "backend", "ndarray"))) {
            UnsupportedOperationException e =
                    assertThrows(
                            UnsupportedOperationException.class,
                            () -> ArrayDecoder.create((CausalLM) model.getBlock()));
            assertTrue(e.getMessage().contains("ndarray"), e.getMessage());
            assertTrue(e.getMessage().contains("model.layers.0"), e.getMessage());
        }
    }
}
