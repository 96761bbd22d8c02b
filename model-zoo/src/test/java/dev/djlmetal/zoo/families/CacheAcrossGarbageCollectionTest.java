package dev.djlmetal.zoo.families;

import static dev.djlmetal.zoo.families.FamilyRuns.load;
import static dev.djlmetal.zoo.families.FamilyRuns.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.KvCache;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Greedy generation on the emulated Metal backend with garbage collected between the prefill and
 * every cached step, against transformers' tokens for the MLX layouts of the fixture script.
 *
 * <p>A decoder layer closes its temporaries when it returns, among them the projections whose views
 * the key/value cache keeps (the values of a prefill are a transposed view of the value
 * projection). If a product's memory belonged to its closed array rather than to the engine, the
 * collector would free it under the cache and every cached step would attend to whatever was
 * allocated there next: the prefill's token right, the later ones wrong. Each pause collects
 * garbage and allocates blocks of the size of a value (or fused) projection filled with NaN bytes,
 * which is where such freed memory reappears.
 */
class CacheAcrossGarbageCollectionTest {

    private static final int PAUSE_ROUNDS = 3;
    private static final int PAUSE_BUFFERS = 64;

    static Stream<String> mlxLayoutCases() {
        return FamilyFixture.MLX_LAYOUTS.stream();
    }

    @ParameterizedTest
    @MethodSource("mlxLayoutCases")
    void cachedStepsOnEmulatedMetalSurviveGarbageCollection(String name) throws Exception {
        Assumptions.assumeTrue(
                Backends.isAvailable(BackendKind.METAL_EMULATED), "metal-emulated is missing");
        FamilyFixture f = FamilyFixture.of(name);
        long[] prompt = f.prompt();
        long[] expected = f.mlxLayoutTokens();
        try (ZooModel<NDList, NDList> model =
                        load(
                                f.mlxLayoutDir(),
                                options("backend", BackendKind.METAL_EMULATED.toString()));
                NDManager manager = NDManager.newBaseManager()) {
            CausalLM lm = (CausalLM) model.getBlock();
            DecoderConfig config = lm.getConfig();
            int vocab = config.getVocabSize();
            int kvWidth = config.getNumKeyValueHeads() * config.getHeadDim();
            int qWidth = config.getNumAttentionHeads() * config.getHeadDim();
            // the value projection, or the fused query/key/value projection it is split from
            int[] projectionBytes = {
                prompt.length * kvWidth * Float.BYTES,
                prompt.length * (qWidth + 2 * kvWidth) * Float.BYTES
            };
            long[] tokens = new long[expected.length];
            NDList out =
                    lm.forward(
                            manager.create(prompt, new Shape(1, prompt.length)),
                            KvCache.empty(),
                            null,
                            1);
            for (int step = 0; step < tokens.length; step++) {
                float[] logits = out.head().toFloatArray();
                int best = 0;
                for (int v = 1; v < vocab; v++) {
                    if (logits[v] > logits[best]) {
                        best = v;
                    }
                }
                tokens[step] = best;
                pause(projectionBytes);
                out =
                        lm.forward(
                                manager.create(new long[] {best}, new Shape(1, 1)),
                                KvCache.fromOutput(out),
                                null,
                                1);
            }
            assertArrayEquals(
                    expected,
                    tokens,
                    name
                            + " on metal-emulated with garbage collected between steps: expected "
                            + Arrays.toString(expected)
                            + ", got "
                            + Arrays.toString(tokens));
        }
    }

    /** Collects garbage and takes blocks of the given sizes filled with NaN bytes, a few times. */
    private static void pause(int[] sizes) {
        for (int round = 0; round < PAUSE_ROUNDS; round++) {
            System.gc();
            List<ByteBuffer> held = new ArrayList<>(PAUSE_BUFFERS);
            for (int i = 0; i < PAUSE_BUFFERS; i++) {
                ByteBuffer buffer = ByteBuffer.allocateDirect(sizes[i % sizes.length]);
                while (buffer.hasRemaining()) {
                    buffer.put((byte) 0xFF);
                }
                held.add(buffer);
            }
        }
    }
}
