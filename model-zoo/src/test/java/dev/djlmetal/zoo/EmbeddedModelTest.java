package dev.djlmetal.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.zoo.generate.TextGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The embedded default model loads through {@code Criteria} without a model location. */
class EmbeddedModelTest {

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
            // greedy decoding: the predictor equals the generator on the same prompt
            assertEquals(TextGenerator.of(model).generate("Once upon a time"), text);
            assertFalse(text.isEmpty());
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
