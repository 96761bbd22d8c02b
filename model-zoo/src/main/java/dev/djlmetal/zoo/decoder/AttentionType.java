package dev.djlmetal.zoo.decoder;

import java.util.Locale;

/**
 * What a decoder layer attends to: every earlier position, or only the last {@code sliding_window}
 * positions (itself included). The names are those of transformers 5's {@code layer_types}.
 */
public enum AttentionType {
    /** Causal attention over every earlier position ({@code full_attention}). */
    FULL("full_attention"),
    /**
     * Causal attention over a window: the query at position {@code i} sees keys {@code j} with
     * {@code i - window < j <= i} ({@code sliding_attention}).
     */
    SLIDING("sliding_attention");

    private final String configName;

    AttentionType(String configName) {
        this.configName = configName;
    }

    /**
     * Returns the name used in {@code layer_types} and nested {@code rope_parameters}.
     *
     * @return {@code full_attention} or {@code sliding_attention}
     */
    public String configName() {
        return configName;
    }

    /**
     * Reads a {@code layer_types} entry.
     *
     * @param name the entry
     * @return the type
     * @throws IllegalArgumentException naming the entry and the supported ones
     */
    public static AttentionType fromConfigName(String name) {
        for (AttentionType t : values()) {
            if (t.configName.equals(name.toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "Unsupported layer type '"
                        + name
                        + "'; supported: full_attention, sliding_attention");
    }
}
