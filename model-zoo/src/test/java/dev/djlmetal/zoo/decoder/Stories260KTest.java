package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.quant.QuantizationReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reproduces the greedy continuation documented in {@code stories260K/README.md} of the shared test
 * data (skipped when {@code djlmetal.shared.dir} is not set or the model is absent).
 */
class Stories260KTest {

    private static final String TEXT =
            "Once upon a time, there was a little girl named Lily. She loved to play outside in"
                    + " the park. One day, she saw a big, red ball. She wanted to play with it,"
                    + " but it was too high.\n"
                    + "Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't"
                    + " know what to do. She said, \"I want to play with your ball, but";

    private static final String FIRST_SENTENCE =
            "Once upon a time, there was a little girl named Lily.";

    private static Path modelDir;

    @BeforeAll
    static void findModel() {
        String shared = System.getProperty("djlmetal.shared.dir");
        Assumptions.assumeTrue(shared != null, "djlmetal.shared.dir is not set");
        modelDir = Paths.get(shared, "models", "stories260K");
        Assumptions.assumeTrue(
                Files.isRegularFile(modelDir.resolve("model.safetensors")),
                "stories260K is absent");
        System.setProperty("ai.djl.offline", "true");
    }

    @Test
    void tokenizerIdsMatchTheReadme() throws Exception {
        try (HuggingFaceTokenizer tokenizer =
                HuggingFaceTokenizer.newInstance(modelDir.resolve("tokenizer.json"))) {
            long[] ids = tokenizer.encode(FIRST_SENTENCE).getIds();
            assertArrayEquals(
                    new long[] {
                        1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426
                    },
                    ids);
        }
    }

    @Test
    void greedyFloat32ContinuationMatchesTheReadme() throws Exception {
        assertEquals(TEXT, generate(Map.of(), 120));
    }

    @Test
    void eightBitOnTheFlyQuantizationKeepsTheFirstSentence() throws Exception {
        Map<String, String> options = Map.of("bits", "8", "groupSize", "32");
        assertEquals(FIRST_SENTENCE, generate(options, 15));
        try (Model model = Model.newInstance("stories260K", "Metal")) {
            model.load(modelDir, null, options);
            QuantizationReport report =
                    (QuantizationReport) ((MetalModel) model).getQuantizationReport();
            // 5 layers x (q, k, v, o, gate, up); down_proj's 172 inputs are not divisible by 32
            assertEquals(30, report.getConverted().size());
            assertTrue(report.getSkippedPaths().contains("model.layers.4.mlp.down_proj"));
        }
    }

    static String generate(Map<String, ?> options, int tokens) throws Exception {
        try (Model model = Model.newInstance("stories260K", "Metal");
                HuggingFaceTokenizer tokenizer =
                        HuggingFaceTokenizer.newInstance(modelDir.resolve("tokenizer.json"))) {
            model.load(modelDir, null, options);
            CausalLM block = (CausalLM) model.getBlock();
            List<Long> generated = new ArrayList<>();
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                NDArray input = manager.create(new long[] {1}, new Shape(1, 1));
                KvCache cache = KvCache.empty();
                for (int i = 0; i < tokens; i++) {
                    NDList out = block.forward(input, cache);
                    NDArray last = out.head().get(":, -1, :");
                    long next = last.argMax(-1).toLongArray()[0];
                    generated.add(next);
                    cache = KvCache.fromOutput(out);
                    input = manager.create(new long[] {next}, new Shape(1, 1));
                }
            }
            long[] ids = generated.stream().mapToLong(Long::longValue).toArray();
            return tokenizer.decode(ids, true);
        }
    }
}
