package dev.djlmetal.engine.spi;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

class ArchitecturesTest {

    @Test
    void unknownModelTypeNamesItAndTheInstalledTypes() {
        JsonObject config = new JsonObject();
        config.addProperty("model_type", "my-arch");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Architectures.create(config));
        assertTrue(e.getMessage().contains("Unsupported model_type 'my-arch'"), e.getMessage());
        assertTrue(e.getMessage().contains("supported: "), e.getMessage());
    }

    @Test
    void missingModelTypeIsReported() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Architectures.create(new JsonObject()));
        assertTrue(e.getMessage().contains("no model_type"), e.getMessage());
    }
}
