package dev.djlmetal.engine.spi;

import com.google.gson.JsonObject;
import java.util.Set;

/**
 * Plugs a model architecture into the Metal engine. The engine knows no architecture: it reads
 * {@code model_type} from a checkpoint's {@code config.json} and asks the provider registered for
 * it (with {@link java.util.ServiceLoader}, in {@code
 * META-INF/services/dev.djlmetal.engine.spi.ArchitectureProvider}) to build the model.
 *
 * <p>Implementations must be cheap to construct and thread-safe.
 */
public interface ArchitectureProvider {

    /**
     * Returns the {@code model_type} values this provider builds, lower case.
     *
     * @return the model types, for example {@code llama}, {@code mistral}, {@code qwen2}
     */
    Set<String> modelTypes();

    /**
     * Builds the architecture described by a {@code config.json}.
     *
     * @param config the parsed config.json
     * @return the architecture with a new, uninitialized block
     * @throws IllegalArgumentException naming the field and value when the config is unsupported
     */
    ModelArchitecture create(JsonObject config);
}
