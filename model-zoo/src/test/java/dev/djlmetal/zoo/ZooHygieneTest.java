package dev.djlmetal.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Application;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zoo's models are text generation models, and a missing location is never replaced. */
class ZooHygieneTest {

    @TempDir Path dir;

    @Test
    void embeddedModelIsATextGenerationModel() throws Exception {
        Assumptions.assumeTrue(EmbeddedModel.isAvailable());
        Assumptions.assumeTrue(
                System.getenv("DJLMETAL_MODELS") == null
                        && System.getProperty("DJLMETAL_MODELS") == null);
        MetalModelZoo zoo = new MetalModelZoo();
        ModelLoader loader = zoo.getModelLoader(EmbeddedModel.ARTIFACT_ID);
        assertEquals(Application.NLP.TEXT_GENERATION, loader.getApplication());
        Map<Application, List<?>> models = new java.util.HashMap<>(ModelZoo.listModels());
        assertTrue(
                models.getOrDefault(Application.NLP.TEXT_GENERATION, List.of()).stream()
                        .anyMatch(m -> m.toString().contains(EmbeddedModel.ARTIFACT_ID)),
                models.keySet().toString());
        Criteria<String, String> criteria =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optApplication(Application.NLP.TEXT_GENERATION)
                        .optEngine("Metal")
                        .optArgument("max_new_tokens", 2)
                        .build();
        try (ZooModel<String, String> model = criteria.loadModel()) {
            assertEquals(EmbeddedModel.ARTIFACT_ID, model.getName());
        }
    }

    @Test
    void givenButMissingLocationsFailInsteadOfServingTheEmbeddedModel() {
        Path missing = dir.resolve("no-such-model");
        Criteria<String, String> byPath =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optEngine("Metal")
                        .optModelPath(missing)
                        .build();
        assertThrows(ModelNotFoundException.class, byPath::loadModel);

        MetalModelZoo zoo = new MetalModelZoo(missing.toString());
        assertFalse(zoo.getModelLoaders().isEmpty());
        Criteria<String, String> fromZoo =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optEngine("Metal")
                        .optModelZoo(zoo)
                        .build();
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, fromZoo::loadModel);
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append(" | ");
        }
        assertTrue(messages.toString().contains(missing.toString()), messages.toString());
    }
}
