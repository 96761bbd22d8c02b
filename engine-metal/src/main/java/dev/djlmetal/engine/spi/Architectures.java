package dev.djlmetal.engine.spi;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds the {@link ArchitectureProvider} for a {@code config.json}. */
public final class Architectures {

    private Architectures() {}

    /**
     * Returns the installed providers by model type.
     *
     * @return a sorted map from model type to provider (the first provider found wins)
     */
    public static Map<String, ArchitectureProvider> providers() {
        Map<String, ArchitectureProvider> map = new TreeMap<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        if (loader == null) {
            loader = Architectures.class.getClassLoader();
        }
        for (ArchitectureProvider provider :
                ServiceLoader.load(ArchitectureProvider.class, loader)) {
            for (String type : provider.modelTypes()) {
                map.putIfAbsent(type.toLowerCase(Locale.ROOT), provider);
            }
        }
        return map;
    }

    /**
     * Builds the architecture a {@code config.json} describes.
     *
     * @param config the parsed config.json
     * @return the architecture
     * @throws IllegalArgumentException naming {@code model_type} and the supported types when no
     *     provider handles it
     */
    public static ModelArchitecture create(JsonObject config) {
        JsonElement type = config.get("model_type");
        Map<String, ArchitectureProvider> providers = providers();
        if (type == null || !type.isJsonPrimitive()) {
            throw new IllegalArgumentException(
                    "config.json has no model_type; supported: " + providers.keySet());
        }
        String modelType = type.getAsString().toLowerCase(Locale.ROOT);
        ArchitectureProvider provider = providers.get(modelType);
        if (provider == null) {
            throw new IllegalArgumentException(
                    "Unsupported model_type '"
                            + type.getAsString()
                            + "'; supported: "
                            + providers.keySet()
                            + (providers.isEmpty()
                                    ? " (no ArchitectureProvider is installed: add model-zoo to"
                                            + " the classpath)"
                                    : ""));
        }
        return provider.create(config);
    }
}
