package dev.djlmetal.backend;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Settings handed to a backend when it is created for one model. */
public final class BackendSettings {

    private final boolean cacheDequantized;
    private final Map<String, String> properties;

    private BackendSettings(Builder builder) {
        this.cacheDequantized = builder.cacheDequantized;
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(builder.properties));
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the default settings.
     *
     * @return settings with every option at its default
     */
    public static BackendSettings defaults() {
        return builder().build();
    }

    /**
     * Returns whether the portable backend keeps the dequantized float weight of each layer
     * (trading memory, {@code N * K * 4} bytes per FLOAT32 layer, for speed).
     *
     * @return true to cache dequantized weights
     */
    public boolean isCacheDequantized() {
        return cacheDequantized;
    }

    /**
     * Returns a backend-specific tuning property, for example {@code metal.decodeMaxRows}.
     *
     * @param key the property name
     * @param defaultValue the value when the property is unset
     * @return the value
     */
    public String getProperty(String key, String defaultValue) {
        return properties.getOrDefault(key, defaultValue);
    }

    /**
     * Returns all backend-specific tuning properties.
     *
     * @return an unmodifiable map
     */
    public Map<String, String> getProperties() {
        return properties;
    }

    /** Builds {@link BackendSettings}. */
    public static final class Builder {

        private boolean cacheDequantized;
        private final Map<String, String> properties = new LinkedHashMap<>();

        Builder() {}

        /**
         * Sets whether the portable backend caches dequantized weights (default false).
         *
         * @param cacheDequantized true to cache
         * @return this builder
         */
        public Builder optCacheDequantized(boolean cacheDequantized) {
            this.cacheDequantized = cacheDequantized;
            return this;
        }

        /**
         * Sets a backend-specific tuning property.
         *
         * @param key the property name
         * @param value the value
         * @return this builder
         */
        public Builder optProperty(String key, String value) {
            properties.put(key, value);
            return this;
        }

        /**
         * Builds the settings.
         *
         * @return the settings
         */
        public BackendSettings build() {
            return new BackendSettings(this);
        }
    }
}
