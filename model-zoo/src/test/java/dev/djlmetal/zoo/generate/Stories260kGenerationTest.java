package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The documented greedy continuation of the real stories260K model (shared test data), through
 * {@code Criteria<String, String>} only. Skipped when {@code djlmetal.shared.dir} is absent.
 */
class Stories260kGenerationTest {

    private static Path modelDir;

    @BeforeAll
    static void findModel() {
        String shared = System.getProperty("djlmetal.shared.dir");
        Assumptions.assumeTrue(shared != null, "djlmetal.shared.dir is not set");
        modelDir = Paths.get(shared, "models", "stories260K");
        Assumptions.assumeTrue(
                Files.isRegularFile(modelDir.resolve("README.md")), "stories260K is absent");
    }

    /** The quoted continuation of the README, its paragraphs joined by a newline. */
    private static String readmeText() throws IOException {
        List<String> quoted = new ArrayList<>();
        for (String line : Files.readAllLines(modelDir.resolve("README.md"))) {
            if (line.startsWith("> ")) {
                quoted.add(line.substring(2));
            }
        }
        return String.join("\n", quoted);
    }

    @Test
    void emptyPromptGreedyReproducesTheReadme() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optEngine("Metal")
                        .optModelPath(modelDir)
                        .optArgument("maxNewTokens", 120)
                        .build();
        String expected = readmeText();
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            TextGenerator generator = TextGenerator.of(model);
            assertArrayEquals(new long[] {1}, generator.getTokenizer().encode(""));
            assertArrayEquals(
                    new long[] {
                        1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426
                    },
                    generator
                            .getTokenizer()
                            .encode("Once upon a time, there was a little girl named Lily."));
            assertEquals(expected, predictor.predict(""));

            List<String> pieces = new ArrayList<>();
            assertEquals(expected, generator.generate("", pieces::add));
            assertEquals(expected, String.join("", pieces));
        }
    }

    @Test
    void stopSequenceEndsTheFirstSentence() throws Exception {
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optEngine("Metal")
                        .optModelPath(modelDir)
                        .optArgument("maxNewTokens", 120)
                        .optArgument("stopSequences", "[\" Lily.\", \"never\"]")
                        .build();
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            assertEquals("Once upon a time, there was a little girl named", predictor.predict(""));
        }
    }
}
