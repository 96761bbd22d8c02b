package dev.djlmetal.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.generate.GenerationConfig;
import dev.djlmetal.zoo.generate.LlmTokenizer;
import dev.djlmetal.zoo.generate.TextGenerator;
import dev.djlmetal.zoo.testing.GreedyReference;
import dev.djlmetal.zoo.testing.LogitBounds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded default model loads through {@code Criteria} without a model location. */
class EmbeddedModelTest {

    /** The embedded model's end-of-sequence id. */
    private static final long EOS = 2;

    @BeforeAll
    static void requireResource() {
        Assumptions.assumeTrue(
                EmbeddedModel.isAvailable(),
                "The embedded model is not packed yet: no classpath resource "
                        + EmbeddedModel.RESOURCE);
    }

    @Test
    void defaultCriteriaLoadsTheEmbeddedModel() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optEngine("Metal")
                        .optArgument("maxNewTokens", 8)
                        .build();
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            assertTrue(Files.isRegularFile(model.getModelPath().resolve("model.safetensors")));
            Path cache =
                    new ClasspathModelRepository("embedded", EmbeddedModel.checkpoint())
                            .getCacheDirectory();
            assertTrue(model.getModelPath().startsWith(cache), model.getModelPath().toString());
            String text = predictor.predict("Once upon a time");
            assertFalse(text.isEmpty());
            // greedy decoding, checked against decoding that recomputes the whole sequence at
            // every step through the bare block and decodes with the tokenizer itself
            LlmTokenizer tokenizer = TextGenerator.of(model).getTokenizer();
            long[] prompt = tokenizer.encode("Once upon a time");
            long[] recomputed = GreedyReference.withoutCache(model.getBlock(), prompt, 8, EOS);
            assertEquals(tokenizer.decodeContinuation(prompt, recomputed), text);
        }
    }

    /**
     * 300 tokens generated through the key/value cache are the greedy choices of the logits
     * recomputed without a cache over the whole sequence, on the model the jar ships (no {@code
     * ../shared} needed).
     */
    @Test
    void threeHundredCachedTokensEqualFullRecomputation() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder().setTypes(String.class, String.class).optEngine("Metal").build();
        try (ZooModel<String, String> model = criteria.loadModel()) {
            GenerationConfig config =
                    GenerationConfig.builder()
                            .optMaxNewTokens(300)
                            .optTemperature(0f)
                            .optEosTokenIds(List.of())
                            .build();
            TextGenerator generator = TextGenerator.of(model).withConfig(config);
            long[] prompt = generator.getTokenizer().encode("Once upon a time");
            long[] generated = generator.generateIds(prompt);
            assertEquals(300, generated.length);
            DecoderConfig llama = ((CausalLM) model.getBlock()).getConfig();
            int exact =
                    GreedyReference.assertGreedy(
                            model.getBlock(),
                            LogitBounds.of(llama, prompt.length + generated.length, 2),
                            prompt,
                            generated);
            assertTrue(exact >= 295, "exact maxima: " + exact + " of 300");
        }
    }

    /**
     * Four threads run the 4-bit model on the cpu backend at once, through the matrix-vector path
     * (3 ids) and the chunked prefill path (20 ids), and each gets the logits it gets alone.
     */
    @Test
    void concurrentForwardsOnTheCpuBackendMatchSingleThreadedOnes() throws Exception {
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optEngine("Metal")
                        .optOption("bits", "4")
                        .optOption("groupSize", "32")
                        .optOption("backend", "cpu")
                        .build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            DecoderConfig llama = ((CausalLM) model.getBlock()).getConfig();
            long[][] inputs = new long[4][];
            float[][] alone = new float[4][];
            try (Predictor<NDList, NDList> predictor = model.newPredictor()) {
                for (int t = 0; t < inputs.length; t++) {
                    int length = t % 2 == 0 ? 3 : 20;
                    inputs[t] = new long[length];
                    for (int i = 0; i < length; i++) {
                        inputs[t][i] = 1 + (37L * (t + 1) * (i + 1)) % 1000;
                    }
                    alone[t] = logits(predictor, manager, inputs[t]);
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(inputs.length);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < inputs.length; t++) {
                    int thread = t;
                    futures.add(
                            pool.submit(
                                    () -> {
                                        try (Predictor<NDList, NDList> predictor =
                                                        model.newPredictor();
                                                NDManager local =
                                                        NDManager.newBaseManager("PyTorch")) {
                                            for (int call = 0; call < 10; call++) {
                                                LogitBounds.of(llama, 20, 2)
                                                        .assertClose(
                                                                alone[thread],
                                                                logits(
                                                                        predictor,
                                                                        local,
                                                                        inputs[thread]),
                                                                llama.getVocabSize(),
                                                                "thread " + thread + " call "
                                                                        + call);
                                            }
                                        }
                                        return null;
                                    }));
                }
                for (Future<?> future : futures) {
                    future.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static float[] logits(
            Predictor<NDList, NDList> predictor, NDManager manager, long[] ids) throws Exception {
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            return predictor.predict(new NDList(input)).get(0).toFloatArray();
        }
    }

    @Test
    void artifactIdSelectsTheQuantizedEmbeddedModel() throws Exception {
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optEngine("Metal")
                        .optGroupId(MetalModelZoo.GROUP_ID)
                        .optArtifactId(EmbeddedModel.ARTIFACT_ID)
                        .optOption("bits", "4")
                        .optOption("groupSize", "32")
                        .build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
                Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            MetalModel metal = (MetalModel) model.getWrappedModel();
            assertEquals(4, metal.getConfig().getBits());
            NDArray ids = manager.create(new long[][] {{1, 5, 9}});
            NDArray logits = predictor.predict(new NDList(ids)).get(0);
            assertEquals(3, logits.getShape().get(1));
            assertEquals(1024, logits.getShape().get(2));
        }
    }
}
