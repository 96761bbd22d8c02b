package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonObject;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.nn.BlockPaths;
import dev.djlmetal.nn.MetalQuantizedLinear;
import dev.djlmetal.zoo.generate.GenerationConfig;
import dev.djlmetal.zoo.generate.TextGenerator;
import dev.djlmetal.zoo.generate.TinyLlamaDirs;
import dev.djlmetal.zoo.testing.LogitBounds;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import dev.djlmetal.zoo.testing.TinyWeights;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny Llama loaded through the Criteria API runs on the Metal kernels compiled for the CPU
 * ({@code backend=metal-emulated}) exactly like on the portable backend ({@code backend=ndarray}):
 * a pre-quantized MLX checkpoint and a float checkpoint quantized on the fly, both at 4 bits.
 */
class EmulatedMetalEndToEndTest {

    /** Two prompts of 8 tokens: M = 16 rows is above the decode threshold (tiled kernel). */
    private static final long[] BATCH = {1, 10, 20, 30, 40, 50, 60, 70, 1, 5, 17, 42, 95, 3, 88, 9};

    private static final long[] PROMPT = {1, 10, 20, 30};

    private static final int NEW_TOKENS = 6;

    private static final int GROUP_SIZE = 64;

    @TempDir static Path mlxDir;

    @TempDir static Path floatDir;

    @BeforeAll
    static void writeCheckpoints() throws Exception {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        TinyWeights w = TinyCheckpoints.randomWeights(DecoderConfig.fromJson(json), 31);
        TinyCheckpoints.QuantizedFixture mlx =
                TinyCheckpoints.quantized(json, w, CheckpointFormat.MLX, 4, GROUP_SIZE);
        mlx.tensors.writeTo(mlxDir, mlx.config, SafetensorsDType.F32, Long.MAX_VALUE);
        TinyLlamaDirs.writeTokenizer(mlxDir, 96);
        TinyCheckpoints.floatTensors(w)
                .writeTo(floatDir, json, SafetensorsDType.F32, Long.MAX_VALUE);
        TinyLlamaDirs.writeTokenizer(floatDir, 96);
    }

    private static void assumeEmulatorAvailable() {
        Assumptions.assumeTrue(
                Backends.isAvailable(BackendKind.METAL_EMULATED),
                () ->
                        "Skipped: backend=metal-emulated is not available here ("
                                + Backends.provider(BackendKind.METAL_EMULATED).unavailableReason()
                                + ")");
    }

    private static Map<String, String> options(String backend, boolean onTheFly) {
        return onTheFly
                ? Map.of("backend", backend, "bits", "4", "groupSize", "" + GROUP_SIZE)
                : Map.of("backend", backend);
    }

    private static <I, O> Criteria.Builder<I, O> withOptions(
            Criteria.Builder<I, O> builder, Path dir, Map<String, String> options) {
        builder.optEngine("Metal").optModelPath(dir);
        for (Map.Entry<String, String> e : options.entrySet()) {
            builder.optOption(e.getKey(), e.getValue());
        }
        return builder;
    }

    private static float[] logits(Path dir, Map<String, String> options) throws Exception {
        Criteria<NDList, NDList> criteria =
                withOptions(Criteria.builder().setTypes(NDList.class, NDList.class), dir, options)
                        .build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
                Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            assertEquals(
                    14L,
                    BlockPaths.blocks(model.getBlock()).values().stream()
                            .filter(b -> b instanceof MetalQuantizedLinear)
                            .count(),
                    "quantized linear layers of " + dir);
            NDList out = predictor.predict(new NDList(manager.create(BATCH, new Shape(2, 8))));
            assertEquals(new Shape(2, 8, 96), out.head().getShape());
            return out.head().toFloatArray();
        }
    }

    private static long[] greedy(Path dir, Map<String, String> options) throws Exception {
        Criteria<String, String> criteria =
                withOptions(Criteria.builder().setTypes(String.class, String.class), dir, options)
                        .build();
        try (ZooModel<String, String> model = criteria.loadModel()) {
            GenerationConfig config =
                    GenerationConfig.builder()
                            .optMaxNewTokens(NEW_TOKENS)
                            .optTemperature(0f)
                            .optEosTokenIds(List.of())
                            .build();
            return TextGenerator.of(model).withConfig(config).generateIds(PROMPT);
        }
    }

    /** Two backends' float32 logits of the 2 x 8 batch, within the model's rounding bound. */
    private static void assertClose(float[] expected, float[] actual) {
        DecoderConfig config = DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson());
        LogitBounds.of(config, 8, 2)
                .assertClose(expected, actual, config.getVocabSize(), "emulated against portable");
    }

    private static void assertEmulatedMatchesPortable(Path dir, boolean onTheFly) throws Exception {
        assumeEmulatorAvailable();
        float[] portable = logits(dir, options("ndarray", onTheFly));
        float[] emulated = logits(dir, options("metal-emulated", onTheFly));
        assertClose(portable, emulated);

        long[] expected = greedy(dir, options("ndarray", onTheFly));
        assertEquals(NEW_TOKENS, expected.length);
        assertArrayEquals(expected, greedy(dir, options("metal-emulated", onTheFly)));
    }

    @Test
    void preQuantizedMlxCheckpointMatchesThePortableBackend() throws Exception {
        assertEmulatedMatchesPortable(mlxDir, false);
    }

    @Test
    void onTheFlyQuantizedCheckpointMatchesThePortableBackend() throws Exception {
        assertEmulatedMatchesPortable(floatDir, true);
    }

    @Test
    void metalBackendFailsAtLoadOffAppleSilicon() {
        Assumptions.assumeFalse(
                Backends.isAvailable(BackendKind.METAL),
                "Skipped: real Metal is available, so backend=metal loads here");
        Criteria<NDList, NDList> criteria =
                withOptions(
                                Criteria.builder().setTypes(NDList.class, NDList.class),
                                mlxDir,
                                options("metal", false))
                        .build();
        Exception e = assertThrows(Exception.class, criteria::loadModel);
        String message = messages(e);
        assertTrue(message.contains("backend=metal is not available here"), message);
        assertTrue(message.contains("needs macOS on Apple Silicon"), message);
        assertTrue(message.contains("metal-emulated"), message);
    }

    private static String messages(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
