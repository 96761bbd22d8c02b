package dev.djlmetal.zoo.families;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.zoo.generate.TextGenerator;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every family through {@code Criteria<String, String>}: text generation (prefill, then one token
 * at a time through the key/value cache) gives transformers' greedy tokens, in float and quantized
 * on the fly to 4 bits.
 */
class FamilyCriteriaTest {

    @TempDir Path temp;

    static Stream<String> cases() {
        return FamilyFixture.CASES.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void textGenerationGivesTransformersGreedyTokens(String name) throws Exception {
        FamilyFixture f = FamilyFixture.of(name);
        Path dir = FamilyCheckpoints.copy(f, temp.resolve(name), f.config);
        FamilyCheckpoints.writeWordTokenizer(dir, f.vocab());
        String prompt = FamilyCheckpoints.words(f.prompt());
        for (String bits : new String[] {null, "4"}) {
            long[] expected = bits == null ? f.floatTokens() : f.tokens("lin_b4_g64");
            Criteria.Builder<String, String> b =
                    Criteria.builder()
                            .setTypes(String.class, String.class)
                            .optEngine("Metal")
                            .optModelPath(dir)
                            .optArgument("maxNewTokens", expected.length);
            if (bits != null) {
                b.optOption("bits", bits).optOption("group_size", "64");
            }
            try (ZooModel<String, String> model = b.build().loadModel();
                    Predictor<String, String> predictor = model.newPredictor()) {
                String what = name + (bits == null ? " float" : " " + bits + "-bit");
                assertEquals(
                        " " + FamilyCheckpoints.words(expected),
                        predictor.predict(prompt),
                        what + " generated text");
                assertArrayEquals(
                        expected,
                        TextGenerator.of(model).generateIds(f.prompt()),
                        what + " generated ids");
            }
        }
    }
}
