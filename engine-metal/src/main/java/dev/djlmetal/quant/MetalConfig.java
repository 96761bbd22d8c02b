package dev.djlmetal.quant;

import com.google.gson.JsonObject;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The quantization configuration of a model: the default {@link QuantSpec}, the modules that stay
 * in float, per-module overrides, and how the quantized layers run.
 *
 * <p>Instances are immutable; create them with {@link #builder()}, from DJL Criteria options with
 * {@link #fromOptions(Map)}, or from checkpoint configurations with {@link
 * #fromTransformersJson(JsonObject)} and {@link #fromMlxJson(JsonObject)}.
 *
 * <p>Which spec a module gets is decided by {@link #specFor(String)}:
 *
 * <ol>
 *   <li>an exact per-module override (a spec, or "keep float") for that module path wins;
 *   <li>otherwise a module matched by an entry of {@link #getModulesToNotConvert()} stays in float;
 *   <li>otherwise the module gets the {@link #getDefaultSpec() default spec}.
 * </ol>
 *
 * <p>An entry of {@code modulesToNotConvert} matches a dotted module path such as {@code
 * model.layers.3.mlp.down_proj} when it names a whole run of path segments: the entry equals the
 * path, is a suffix of it ({@code down_proj}, {@code mlp.down_proj}), a prefix of it ({@code
 * model.layers.3}), or a run in the middle ({@code layers.3}). {@code lm_head} therefore matches
 * {@code lm_head} and {@code model.lm_head}, but {@code proj} matches neither {@code down_proj} nor
 * {@code proj_out}.
 *
 * <p>Whether a module's input size is divisible by the group size is not decided here: {@code
 * MetalQuantizer} keeps ineligible modules in float.
 */
public final class MetalConfig {

    /** The default code width. */
    public static final int DEFAULT_BITS = 4;

    /** The default group size. */
    public static final int DEFAULT_GROUP_SIZE = 64;

    /** The modules that stay in float unless configured otherwise. */
    public static final List<String> DEFAULT_MODULES_TO_NOT_CONVERT = List.of("lm_head");

    private final QuantSpec defaultSpec;
    private final List<String> modulesToNotConvert;
    private final boolean dequantize;
    private final BackendKind backend;
    private final boolean cacheDequantized;
    private final boolean quantizeEmbeddings;
    private final Map<String, Optional<QuantSpec>> overrides;

    private MetalConfig(Builder builder) {
        defaultSpec = QuantSpec.of(builder.bits, builder.groupSize);
        modulesToNotConvert = List.copyOf(builder.modulesToNotConvert);
        dequantize = builder.dequantize;
        backend = builder.backend;
        cacheDequantized = builder.cacheDequantized;
        quantizeEmbeddings = builder.quantizeEmbeddings;
        overrides = Collections.unmodifiableMap(new LinkedHashMap<>(builder.overrides));
    }

    /**
     * Returns a builder with every setting at its default.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Parses DJL Criteria options ({@code Criteria.Builder.optOption}). Values may be strings,
     * numbers, booleans or (for {@code modulesToNotConvert}) lists. Options this class does not
     * know are ignored, so options of other layers pass through; see {@link #optionNames()}.
     *
     * <p>Recognised keys: {@code bits}, {@code groupSize} / {@code group_size}, {@code
     * modulesToNotConvert} / {@code modules_to_not_convert} (a comma-separated string or a list; an
     * empty string converts everything), {@code dequantize}, {@code backend}, {@code
     * cacheDequantized} / {@code cache_dequantized}, {@code quantizeEmbeddings} / {@code
     * quantize_embeddings}, and {@code quantization} (see {@link #requestsQuantization(Map)}).
     *
     * @param options the options, may be null
     * @return the configuration
     * @throws IllegalArgumentException naming the option, the value and the allowed values
     */
    public static MetalConfig fromOptions(Map<String, ?> options) {
        return MetalConfigOptions.parse(options);
    }

    /**
     * Returns whether the options ask for quantization: {@code bits} is present, or {@code
     * quantization} is present with a value other than {@code false} (its allowed values are {@code
     * true}, {@code false} and {@code metal}, case-insensitive).
     *
     * @param options the options, may be null
     * @return true when quantization is requested
     * @throws IllegalArgumentException when {@code quantization} has an unsupported value
     */
    public static boolean requestsQuantization(Map<String, ?> options) {
        return MetalConfigOptions.requestsQuantization(options);
    }

    /**
     * Returns the option names {@link #fromOptions(Map)} understands, every spelling included, so
     * that a model loader can reject unknown options and list the allowed ones.
     *
     * @return an unmodifiable, ordered set
     */
    public static Set<String> optionNames() {
        return MetalConfigOptions.NAMES;
    }

    /**
     * Parses a transformers {@code quantization_config} object of {@code quant_method} "metal":
     * {@code bits}, {@code group_size}, {@code modules_to_not_convert} (null or absent: {@code
     * ["lm_head"]}) and {@code dequantize}.
     *
     * @param quantizationConfig the {@code quantization_config} object of a config.json
     * @return the configuration
     * @throws IllegalArgumentException when {@code quant_method} is not "metal" or a value is bad
     */
    public static MetalConfig fromTransformersJson(JsonObject quantizationConfig) {
        return MetalConfigJson.fromTransformers(quantizationConfig);
    }

    /**
     * Parses an MLX / mlx-lm {@code quantization} object: {@code group_size}, {@code bits}, an
     * optional {@code mode} (only "affine" is supported), and per-module entries {@code "<path>":
     * {"bits": b, "group_size": g}}, {@code "<path>": false} (keep float) or {@code "<path>": true}
     * (the default spec). MLX quantizes every eligible module, embeddings included, so the result
     * converts everything and quantizes embeddings.
     *
     * @param quantization the {@code quantization} object of an MLX config.json
     * @return the configuration
     * @throws IllegalArgumentException naming the key and the value when something is unsupported
     */
    public static MetalConfig fromMlxJson(JsonObject quantization) {
        return MetalConfigJson.fromMlx(quantization);
    }

    /**
     * Writes the transformers {@code quantization_config} form. That form has no per-module specs:
     * keep-float overrides are added to {@code modules_to_not_convert}; a spec override that
     * differs from the default spec cannot be written. Embedding quantization, the backend and the
     * cache setting are not part of that form. Note that transformers itself accepts only bits 2, 4
     * and 8; checkpoints with other widths load in djl-metal only.
     *
     * @return a new JSON object
     * @throws IllegalStateException naming the module when a spec override cannot be written
     */
    public JsonObject toTransformersJson() {
        return MetalConfigJson.toTransformers(this);
    }

    /**
     * Writes the MLX {@code quantization} form: {@code group_size}, {@code bits}, {@code mode} and
     * one entry per override. MLX has no name patterns, so each {@code modulesToNotConvert} entry
     * is written as {@code "<entry>": false}, which MLX applies to the module of exactly that path.
     *
     * @return a new JSON object
     */
    public JsonObject toMlxJson() {
        return MetalConfigJson.toMlx(this);
    }

    /**
     * Returns the spec a module is quantized with, or empty when it stays in float; see the class
     * documentation for the resolution order and the matching rules.
     *
     * @param modulePath the dotted module path, for example {@code model.layers.3.mlp.down_proj}
     * @return the spec, or empty to keep the module in float
     */
    public Optional<QuantSpec> specFor(String modulePath) {
        Objects.requireNonNull(modulePath, "modulePath");
        Optional<QuantSpec> override = overrides.get(modulePath);
        if (override != null) {
            return override;
        }
        for (String entry : modulesToNotConvert) {
            if (matches(entry, modulePath)) {
                return Optional.empty();
            }
        }
        return Optional.of(defaultSpec);
    }

    static boolean matches(String entry, String path) {
        return path.equals(entry)
                || path.endsWith('.' + entry)
                || path.startsWith(entry + '.')
                || path.contains('.' + entry + '.');
    }

    /**
     * Returns the default code width.
     *
     * @return bits, one of {@link QuantSpec#SUPPORTED_BITS}
     */
    public int getBits() {
        return defaultSpec.getBits();
    }

    /**
     * Returns the default group size.
     *
     * @return the group size, one of {@link QuantSpec#SUPPORTED_GROUP_SIZES}
     */
    public int getGroupSize() {
        return defaultSpec.getGroupSize();
    }

    /**
     * Returns the spec of modules without an override.
     *
     * @return the default spec
     */
    public QuantSpec getDefaultSpec() {
        return defaultSpec;
    }

    /**
     * Returns the entries naming modules that stay in float.
     *
     * @return an unmodifiable list
     */
    public List<String> getModulesToNotConvert() {
        return modulesToNotConvert;
    }

    /**
     * Returns whether quantized weights are dequantized to float at load time (as transformers'
     * {@code dequantize=True}), so the model runs without quantized kernels.
     *
     * @return true to dequantize at load
     */
    public boolean isDequantize() {
        return dequantize;
    }

    /**
     * Returns the requested matmul backend.
     *
     * @return the backend kind, {@link BackendKind#AUTO} by default
     */
    public BackendKind getBackend() {
        return backend;
    }

    /**
     * Returns whether the portable backend keeps a dequantized float copy of each layer.
     *
     * @return true to cache dequantized weights
     */
    public boolean isCacheDequantized() {
        return cacheDequantized;
    }

    /**
     * Returns whether embeddings are quantized too (MLX behaviour; with tied embeddings the
     * quantized embedding is then also the output projection). False follows transformers, which
     * quantizes only linear layers.
     *
     * @return true to quantize embeddings
     */
    public boolean isQuantizeEmbeddings() {
        return quantizeEmbeddings;
    }

    /**
     * Returns the per-module overrides by exact module path: a spec, or empty to keep the module in
     * float.
     *
     * @return an unmodifiable map in insertion order
     */
    public Map<String, Optional<QuantSpec>> getOverrides() {
        return overrides;
    }

    /**
     * Returns the settings the backend is created with.
     *
     * @return the backend settings
     */
    public BackendSettings toBackendSettings() {
        return BackendSettings.builder().optCacheDequantized(cacheDequantized).build();
    }

    /**
     * Returns a builder initialised with this configuration.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder builder =
                builder()
                        .optBits(getBits())
                        .optGroupSize(getGroupSize())
                        .optModulesToNotConvert(modulesToNotConvert)
                        .optDequantize(dequantize)
                        .optBackend(backend)
                        .optCacheDequantized(cacheDequantized)
                        .optQuantizeEmbeddings(quantizeEmbeddings);
        builder.overrides.putAll(overrides);
        return builder;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MetalConfig)) {
            return false;
        }
        MetalConfig other = (MetalConfig) o;
        return defaultSpec.equals(other.defaultSpec)
                && modulesToNotConvert.equals(other.modulesToNotConvert)
                && dequantize == other.dequantize
                && backend == other.backend
                && cacheDequantized == other.cacheDequantized
                && quantizeEmbeddings == other.quantizeEmbeddings
                && overrides.equals(other.overrides);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Objects.hash(
                defaultSpec,
                modulesToNotConvert,
                dequantize,
                backend,
                cacheDequantized,
                quantizeEmbeddings,
                overrides);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MetalConfig{bits="
                + getBits()
                + ", groupSize="
                + getGroupSize()
                + ", modulesToNotConvert="
                + modulesToNotConvert
                + ", dequantize="
                + dequantize
                + ", backend="
                + backend
                + ", cacheDequantized="
                + cacheDequantized
                + ", quantizeEmbeddings="
                + quantizeEmbeddings
                + ", overrides="
                + overrides.size()
                + '}';
    }

    /** Builds {@link MetalConfig}; every setting is optional. */
    public static final class Builder {

        private int bits = DEFAULT_BITS;
        private int groupSize = DEFAULT_GROUP_SIZE;
        private List<String> modulesToNotConvert = DEFAULT_MODULES_TO_NOT_CONVERT;
        private boolean dequantize;
        private BackendKind backend = BackendKind.AUTO;
        private boolean cacheDequantized;
        private boolean quantizeEmbeddings;
        private final Map<String, Optional<QuantSpec>> overrides = new LinkedHashMap<>();

        Builder() {}

        /**
         * Sets the default code width (default 4).
         *
         * @param bits one of {@link QuantSpec#SUPPORTED_BITS}
         * @return this builder
         * @throws IllegalArgumentException naming the value and the allowed values
         */
        public Builder optBits(int bits) {
            QuantSpec.checkBits("bits", bits);
            this.bits = bits;
            return this;
        }

        /**
         * Sets the default group size (default 64).
         *
         * @param groupSize one of {@link QuantSpec#SUPPORTED_GROUP_SIZES}
         * @return this builder
         * @throws IllegalArgumentException naming the value and the allowed values
         */
        public Builder optGroupSize(int groupSize) {
            QuantSpec.checkGroupSize("group_size", groupSize);
            this.groupSize = groupSize;
            return this;
        }

        /**
         * Sets the entries naming modules that stay in float (default {@code ["lm_head"]}); an
         * empty list converts everything. See {@link MetalConfig} for the matching rules.
         *
         * @param modulesToNotConvert module names or dotted path fragments
         * @return this builder
         * @throws IllegalArgumentException when an entry is blank or not a dotted path fragment
         */
        public Builder optModulesToNotConvert(List<String> modulesToNotConvert) {
            for (String entry : modulesToNotConvert) {
                checkModuleEntry("modules_to_not_convert", entry);
            }
            this.modulesToNotConvert = List.copyOf(modulesToNotConvert);
            return this;
        }

        /**
         * Sets whether quantized weights are dequantized to float at load time (default false).
         *
         * @param dequantize true to dequantize
         * @return this builder
         */
        public Builder optDequantize(boolean dequantize) {
            this.dequantize = dequantize;
            return this;
        }

        /**
         * Sets the matmul backend (default {@link BackendKind#AUTO}).
         *
         * @param backend the backend kind
         * @return this builder
         */
        public Builder optBackend(BackendKind backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /**
         * Sets whether the portable backend keeps a dequantized float copy of each layer (default
         * false).
         *
         * @param cacheDequantized true to cache
         * @return this builder
         */
        public Builder optCacheDequantized(boolean cacheDequantized) {
            this.cacheDequantized = cacheDequantized;
            return this;
        }

        /**
         * Sets whether embeddings are quantized too (default false, as transformers; MLX
         * configurations set it).
         *
         * @param quantizeEmbeddings true to quantize embeddings
         * @return this builder
         */
        public Builder optQuantizeEmbeddings(boolean quantizeEmbeddings) {
            this.quantizeEmbeddings = quantizeEmbeddings;
            return this;
        }

        /**
         * Quantizes the module of exactly this path with its own spec, even when {@code
         * modulesToNotConvert} names it (MLX's {@code "<path>": {"bits", "group_size"}}).
         *
         * @param path the full dotted module path
         * @param spec the spec of that module
         * @return this builder
         * @throws IllegalArgumentException when the path is blank or not a dotted path
         */
        public Builder optModuleOverride(String path, QuantSpec spec) {
            checkModuleEntry("module override", path);
            overrides.put(path, Optional.of(Objects.requireNonNull(spec, "spec")));
            return this;
        }

        /**
         * Keeps the module of exactly this path in float (MLX's {@code "<path>": false}).
         *
         * @param path the full dotted module path
         * @return this builder
         * @throws IllegalArgumentException when the path is blank or not a dotted path
         */
        public Builder optKeepFloat(String path) {
            checkModuleEntry("module override", path);
            overrides.put(path, Optional.empty());
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the configuration
         */
        public MetalConfig build() {
            return new MetalConfig(this);
        }

        private static void checkModuleEntry(String option, String entry) {
            if (entry == null
                    || entry.isBlank()
                    || !entry.equals(entry.trim())
                    || entry.startsWith(".")
                    || entry.endsWith(".")
                    || entry.contains("..")) {
                throw new IllegalArgumentException(
                        "Unsupported "
                                + option
                                + " entry \""
                                + entry
                                + "\"; allowed values: dotted module paths such as lm_head or"
                                + " model.layers.0.mlp.down_proj");
            }
        }
    }
}
