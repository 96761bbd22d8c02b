package dev.djlmetal.zoo.families;

import static dev.djlmetal.zoo.families.FamilyFixture.assertLogitsClose;
import static dev.djlmetal.zoo.families.FamilyRuns.assertMatches;
import static dev.djlmetal.zoo.families.FamilyRuns.load;
import static dev.djlmetal.zoo.families.FamilyRuns.options;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import com.google.gson.JsonObject;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.engine.loading.CheckpointWriter;
import dev.djlmetal.quant.QuantizationReport;
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.testing.InMemoryTensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every model family against Hugging Face transformers ({@link FamilyFixture}): the float model,
 * the transformers 4 style config, quantization on the fly at every bit width and group size,
 * pre-quantized checkpoints in the MLX and transformers formats (and dequantized), checkpoints
 * saved in both formats, the MLX layouts written by the fixture script, and the transformers 4
 * one-module-per-expert layout, on the {@code cpu}, {@code ndarray} and {@code metal-emulated}
 * backends, through {@code Criteria<NDList, NDList>}. Each check asserts a relative logit error
 * within 1e-4 and the same greedy tokens as transformers.
 */
class FamilyReferenceTest {

    @TempDir Path temp;

    static Stream<String> cases() {
        return FamilyFixture.CASES.stream();
    }

    static Stream<String> mlxLayoutCases() {
        return FamilyFixture.MLX_LAYOUTS.stream();
    }

    static Stream<String> moeCases() {
        return FamilyFixture.MOE.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void floatModelMatchesTransformers(String name) throws Exception {
        FamilyFixture f = FamilyFixture.of(name);
        try (ZooModel<NDList, NDList> model = load(f.dir, Map.of())) {
            assertMatches(name + " float", model, f.prompt(), f.floatLogits(), f.floatTokens());
            FamilyRuns.Greedy g = FamilyRuns.greedy(model, f.prompt(), f.newTokens());
            // every generation step through the key/value cache (sliding windows, LongRoPE's
            // switch to long factors past original_max_position_embeddings)
            assertLogitsClose(name + " logits of every cached step", f.floatSteps(), g.steps);
            assertBatchMatches(f, model);
        }
    }

    /** A left-padded batch with an attention mask: the logits of every real token. */
    private static void assertBatchMatches(FamilyFixture f, ZooModel<NDList, NDList> model)
            throws Exception {
        long[][] ids = f.batchIds();
        long[][] mask = f.batchMask();
        int seq = ids[0].length;
        int vocab = f.vocab();
        long[] flatIds = new long[2 * seq];
        long[] flatMask = new long[2 * seq];
        for (int r = 0; r < 2; r++) {
            System.arraycopy(ids[r], 0, flatIds, r * seq, seq);
            System.arraycopy(mask[r], 0, flatMask, r * seq, seq);
        }
        float[] actual;
        try (NDManager manager = NDManager.newBaseManager();
                Predictor<NDList, NDList> predictor = model.newPredictor()) {
            NDArray m = manager.create(flatMask, new Shape(2, seq));
            m.setName(CausalLM.ATTENTION_MASK);
            actual =
                    predictor
                            .predict(new NDList(manager.create(flatIds, new Shape(2, seq)), m))
                            .head()
                            .toFloatArray();
        }
        float[] expected = f.floatBatch();
        List<Float> e = new ArrayList<>();
        List<Float> a = new ArrayList<>();
        for (int i = 0; i < 2 * seq; i++) {
            if (flatMask[i] == 1) {
                for (int v = 0; v < vocab; v++) {
                    e.add(expected[i * vocab + v]);
                    a.add(actual[i * vocab + v]);
                }
            }
        }
        assertLogitsClose(f.name + " left-padded batch", toArray(e), toArray(a));
    }

    private static float[] toArray(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void transformers4ConfigIsReadLikeTheTransformers5One(String name) throws Exception {
        FamilyFixture f = FamilyFixture.of(name);
        JsonObject tf4 = FamilyFixture.readJson(f.dir.resolve("config_tf4.json"));
        assertTrue(
                !tf4.has("rope_parameters"),
                "config_tf4.json is in the transformers 4 style (no rope_parameters)");
        Path dir = FamilyCheckpoints.copy(f, temp.resolve("tf4"), tf4);
        try (ZooModel<NDList, NDList> model = load(dir, Map.of())) {
            assertMatches(
                    name + " with the transformers 4 config",
                    model,
                    f.prompt(),
                    f.floatLogits(),
                    f.floatTokens());
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void quantizedOnTheFlyAtEveryBitWidthAndGroupSize(String name) {
        FamilyFixture f = FamilyFixture.of(name);
        List<Executable> checks = new ArrayList<>();
        for (String variant : f.variants("lin")) {
            checks.add(
                    () -> {
                        Map<String, String> options =
                                options(
                                        "bits", Integer.toString(f.bits(variant)),
                                        "group_size", Integer.toString(f.groupSize(variant)),
                                        "backend", "cpu");
                        try (ZooModel<NDList, NDList> model = load(f.dir, options)) {
                            assertQuantizedModules(f, variant, model);
                            assertMatches(name + " " + variant + " on the fly", model, f, variant);
                        }
                    });
        }
        assertEquals(18, checks.size(), "every bit width and group size has expected values");
        assertAll(checks);
    }

    /** Variants where no layer is eligible stay float; the others quantize something. */
    private static void assertQuantizedModules(
            FamilyFixture f, String variant, ZooModel<?, ?> model) {
        MetalModel metal = (MetalModel) model.getWrappedModel();
        QuantizationReport report = (QuantizationReport) metal.getQuantizationReport();
        assertEquals(
                f.sameAsFloat(variant),
                report.getConverted().isEmpty(),
                f.name + " " + variant + ": " + report);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void quantizedOnTheFlyWithEmbeddingsAndLmHeadLikeMlx(String name) {
        FamilyFixture f = FamilyFixture.of(name);
        List<Executable> checks = new ArrayList<>();
        for (String variant : f.variants("all")) {
            checks.add(
                    () -> {
                        Map<String, String> options =
                                options(
                                        "bits", Integer.toString(f.bits(variant)),
                                        "group_size", Integer.toString(f.groupSize(variant)),
                                        "quantize_embeddings", "true",
                                        "modules_to_not_convert", "",
                                        "backend", "cpu");
                        try (ZooModel<NDList, NDList> model = load(f.dir, options)) {
                            assertMatches(name + " " + variant + " on the fly", model, f, variant);
                        }
                    });
        }
        assertAll(checks);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void preQuantizedMlxCheckpointsAndTheirDequantization(String name) {
        FamilyFixture f = FamilyFixture.of(name);
        InMemoryTensors mlxNames = FamilyCheckpoints.toMlxNames(f, f.weights());
        List<Executable> checks = new ArrayList<>();
        for (String variant : f.variants("all")) {
            checks.add(
                    () -> {
                        int bits = f.bits(variant);
                        int groupSize = f.groupSize(variant);
                        Path dir =
                                FamilyCheckpoints.write(
                                        temp.resolve("mlx-" + variant),
                                        FamilyCheckpoints.quantize(
                                                mlxNames, n -> true, bits, groupSize, "biases"),
                                        FamilyCheckpoints.mlxConfig(f.config, bits, groupSize));
                        for (String dequantize : new String[] {"false", "true"}) {
                            Map<String, String> options =
                                    options("backend", "cpu", "dequantize", dequantize);
                            try (ZooModel<NDList, NDList> model = load(dir, options)) {
                                assertMatches(
                                        name + " MLX " + variant + " dequantize=" + dequantize,
                                        model,
                                        f,
                                        variant);
                            }
                        }
                    });
        }
        assertAll(checks);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void preQuantizedTransformersCheckpointsAndTheirDequantization(String name) {
        FamilyFixture f = FamilyFixture.of(name);
        InMemoryTensors weights = f.weights();
        // transformers' quantizer converts nn.Linear modules only: MoE experts and routers stay
        // float under their transformers 5 names
        Set<String> linear = new HashSet<>(f.linearWeights());
        String scope = f.isMoe() ? "hf" : "lin";
        List<Executable> checks = new ArrayList<>();
        for (String[] spec :
                new String[][] {{"2", "64"}, {"4", "32"}, {"4", "64"}, {"4", "128"}, {"8", "64"}}) {
            String variant = scope + "_b" + spec[0] + "_g" + spec[1];
            checks.add(
                    () -> {
                        int bits = f.bits(variant);
                        int groupSize = f.groupSize(variant);
                        Path dir =
                                FamilyCheckpoints.write(
                                        temp.resolve("tf-" + variant),
                                        FamilyCheckpoints.quantize(
                                                weights,
                                                n -> linear.contains(n) && !n.startsWith("lm_head"),
                                                bits,
                                                groupSize,
                                                "qbiases"),
                                        FamilyCheckpoints.transformersConfig(
                                                f.config, bits, groupSize));
                        for (String dequantize : new String[] {"false", "true"}) {
                            Map<String, String> options =
                                    options("backend", "cpu", "dequantize", dequantize);
                            try (ZooModel<NDList, NDList> model = load(dir, options)) {
                                assertMatches(
                                        name
                                                + " transformers "
                                                + variant
                                                + " dequantize="
                                                + dequantize,
                                        model,
                                        f,
                                        variant);
                            }
                        }
                    });
        }
        assertAll(checks);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void savedInEveryFormatAndLoadedBack(String name) throws Exception {
        FamilyFixture f = FamilyFixture.of(name);
        String variant = "lin_b4_g32";
        Map<String, String> options = options("bits", "4", "group_size", "32", "backend", "cpu");
        try (ZooModel<NDList, NDList> model = load(f.dir, options)) {
            MetalModel metal = (MetalModel) model.getWrappedModel();
            for (CheckpointFormat format : CheckpointFormat.values()) {
                Path dir = temp.resolve("saved-" + format);
                CheckpointWriter.save(metal, dir, format);
                try (ZooModel<NDList, NDList> reloaded = load(dir, options("backend", "cpu"))) {
                    assertMatches(
                            name + " " + variant + " saved as " + format, reloaded, f, variant);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("mlxLayoutCases")
    void mlxLayoutsOfTheFixtureScriptOnEveryBackend(String name) {
        FamilyFixture f = FamilyFixture.of(name);
        List<Executable> checks = new ArrayList<>();
        for (BackendKind backend :
                new BackendKind[] {
                    BackendKind.CPU, BackendKind.NDARRAY, BackendKind.METAL_EMULATED
                }) {
            checks.add(
                    () -> {
                        Assumptions.assumeTrue(Backends.isAvailable(backend), backend + " missing");
                        try (ZooModel<NDList, NDList> model =
                                load(f.mlxLayoutDir(), options("backend", backend.toString()))) {
                            assertMatches(
                                    name + " MLX layout on " + backend,
                                    model,
                                    f.prompt(),
                                    f.mlxLayoutLogits(),
                                    f.mlxLayoutTokens());
                        }
                    });
        }
        assertAll(checks);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void onTheFlyOnTheNdarrayAndEmulatedMetalBackends(String name) {
        Assumptions.assumeTrue(
                Backends.isAvailable(BackendKind.METAL_EMULATED), "metal-emulated is missing");
        FamilyFixture f = FamilyFixture.of(name);
        List<Executable> checks = new ArrayList<>();
        for (BackendKind backend :
                new BackendKind[] {BackendKind.NDARRAY, BackendKind.METAL_EMULATED}) {
            for (String variant : new String[] {"lin_b3_g32", "lin_b4_g64", "lin_b8_g32"}) {
                checks.add(
                        () -> {
                            Map<String, String> options =
                                    options(
                                            "bits", Integer.toString(f.bits(variant)),
                                            "group_size", Integer.toString(f.groupSize(variant)),
                                            "backend", backend.toString());
                            try (ZooModel<NDList, NDList> model = load(f.dir, options)) {
                                assertMatches(
                                        name + " " + variant + " on " + backend, model, f, variant);
                            }
                        });
            }
        }
        assertAll(checks);
    }

    @ParameterizedTest
    @MethodSource("moeCases")
    void transformers4OneModulePerExpertLayout(String name) throws Exception {
        FamilyFixture f = FamilyFixture.of(name);
        InMemoryTensors tf4 = FamilyCheckpoints.toTransformers4Names(f, f.weights());
        // the names transformers 5.17 itself loads (checked by the fixture script)
        assertEquals(f.transformers4Names(), new ArrayList<>(new TreeSet<>(tf4.names())));
        Path dir = FamilyCheckpoints.write(temp.resolve("tf4"), tf4, f.config);
        try (ZooModel<NDList, NDList> model = load(dir, Map.of())) {
            assertMatches(
                    name + " transformers 4 layout",
                    model,
                    f.prompt(),
                    f.floatLogits(),
                    f.floatTokens());
        }
        // per-expert quantized tensors (older MLX conversions) are stacked into quantized stacks
        String variant = "all_b4_g32";
        Path quantized =
                FamilyCheckpoints.write(
                        temp.resolve("tf4-mlx"),
                        FamilyCheckpoints.quantize(tf4, n -> true, 4, 32, "biases"),
                        FamilyCheckpoints.mlxConfig(f.config, 4, 32));
        try (ZooModel<NDList, NDList> model = load(quantized, options("backend", "cpu"))) {
            assertMatches(name + " per-expert MLX " + variant, model, f, variant);
        }
    }
}
