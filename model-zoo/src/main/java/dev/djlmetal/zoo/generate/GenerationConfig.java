package dev.djlmetal.zoo.generate;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The settings of one text generation: how many tokens, how to sample them and when to stop.
 *
 * <p>Instances are immutable. Build them with {@link #builder()} or from {@code Criteria} arguments
 * with {@link #fromArguments(Map, Set)}.
 */
public final class GenerationConfig {

    /** The default number of new tokens. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 64;

    private final int maxNewTokens;
    private final float temperature;
    private final int topK;
    private final float topP;
    private final Long seed;
    private final List<String> stopSequences;
    private final Set<Long> eosTokenIds;

    private GenerationConfig(Builder builder) {
        maxNewTokens = builder.maxNewTokens;
        temperature = builder.temperature;
        topK = builder.topK;
        topP = builder.topP;
        seed = builder.seed;
        stopSequences = Collections.unmodifiableList(new ArrayList<>(builder.stopSequences));
        eosTokenIds = Collections.unmodifiableSet(new LinkedHashSet<>(builder.eosTokenIds));
    }

    /**
     * Returns a new builder with the defaults: 64 new tokens, greedy decoding, no stop sequence.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads a configuration from {@code Criteria} arguments.
     *
     * <p>Recognized arguments: {@code maxNewTokens}, {@code temperature}, {@code topK}, {@code
     * topP}, {@code seed} and {@code stopSequences} (a comma-separated string or a list of
     * strings). Values may be strings or numbers.
     *
     * @param arguments the arguments, may be {@code null}
     * @param eosTokenIds the end-of-sequence token ids of the model
     * @return the configuration
     * @throws IllegalArgumentException naming the argument, the bad value and what is allowed
     */
    public static GenerationConfig fromArguments(Map<String, ?> arguments, Set<Long> eosTokenIds) {
        Builder builder = builder().optEosTokenIds(eosTokenIds);
        if (arguments == null) {
            return builder.build();
        }
        Object value = arguments.get("maxNewTokens");
        if (value != null) {
            builder.optMaxNewTokens(toInt("maxNewTokens", value));
        }
        value = arguments.get("temperature");
        if (value != null) {
            builder.optTemperature(toFloat("temperature", value));
        }
        value = arguments.get("topK");
        if (value != null) {
            builder.optTopK(toInt("topK", value));
        }
        value = arguments.get("topP");
        if (value != null) {
            builder.optTopP(toFloat("topP", value));
        }
        value = arguments.get("seed");
        if (value != null) {
            builder.optSeed(toLong("seed", value));
        }
        value = arguments.get("stopSequences");
        if (value != null) {
            builder.optStopSequences(toStrings("stopSequences", value));
        }
        return builder.build();
    }

    /**
     * Reads the end-of-sequence token ids of a model directory: {@code eos_token_id} of {@code
     * generation_config.json} when present, else of {@code config.json}. Either file may hold one
     * id or a list of ids.
     *
     * @param modelDir the model directory
     * @return the ids, empty when neither file names one
     * @throws IOException when a file exists but cannot be read or parsed
     */
    public static Set<Long> readEosTokenIds(Path modelDir) throws IOException {
        for (String name : new String[] {"generation_config.json", "config.json"}) {
            Path file = modelDir.resolve(name);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            JsonObject json;
            try (Reader reader = Files.newBufferedReader(file)) {
                json = JsonParser.parseReader(reader).getAsJsonObject();
            } catch (RuntimeException e) {
                throw new IOException("Cannot parse " + file + ": " + e.getMessage(), e);
            }
            JsonElement eos = json.get("eos_token_id");
            if (eos == null || eos.isJsonNull()) {
                continue;
            }
            Set<Long> ids = new LinkedHashSet<>();
            if (eos.isJsonArray()) {
                JsonArray array = eos.getAsJsonArray();
                for (JsonElement e : array) {
                    ids.add(e.getAsLong());
                }
            } else {
                ids.add(eos.getAsLong());
            }
            return ids;
        }
        return Collections.emptySet();
    }

    /**
     * Returns the largest number of tokens to generate.
     *
     * @return the largest number of new tokens
     */
    public int getMaxNewTokens() {
        return maxNewTokens;
    }

    /**
     * Returns the softmax temperature; 0 means greedy decoding.
     *
     * @return the temperature
     */
    public float getTemperature() {
        return temperature;
    }

    /**
     * Returns how many of the most likely tokens are kept before sampling; 0 keeps all.
     *
     * @return the top-k limit
     */
    public int getTopK() {
        return topK;
    }

    /**
     * Returns the nucleus mass: sampling keeps the smallest set of most likely tokens whose
     * probability adds up to at least this value; 1 keeps all.
     *
     * @return the top-p mass
     */
    public float getTopP() {
        return topP;
    }

    /**
     * Returns the random seed, or {@code null} for a fresh random seed per request.
     *
     * @return the seed or {@code null}
     */
    public Long getSeed() {
        return seed;
    }

    /**
     * Returns whether tokens are chosen greedily (temperature 0).
     *
     * @return {@code true} for greedy decoding
     */
    public boolean isGreedy() {
        return temperature == 0f;
    }

    /**
     * Returns the texts that end the generation; they are not part of the output.
     *
     * @return the stop sequences
     */
    public List<String> getStopSequences() {
        return stopSequences;
    }

    /**
     * Returns the token ids that end the generation.
     *
     * @return the end-of-sequence ids
     */
    public Set<Long> getEosTokenIds() {
        return eosTokenIds;
    }

    /**
     * Returns a builder that starts with the values of this configuration.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return builder()
                .optMaxNewTokens(maxNewTokens)
                .optTemperature(temperature)
                .optTopK(topK)
                .optTopP(topP)
                .optSeed(seed)
                .optStopSequences(stopSequences)
                .optEosTokenIds(eosTokenIds);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "GenerationConfig{maxNewTokens="
                + maxNewTokens
                + ", temperature="
                + temperature
                + ", topK="
                + topK
                + ", topP="
                + topP
                + ", seed="
                + seed
                + ", stopSequences="
                + stopSequences
                + ", eosTokenIds="
                + eosTokenIds
                + '}';
    }

    private static int toInt(String name, Object value) {
        long v = toLong(name, value);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw invalid(name, value, "an integer in the int range");
        }
        return (int) v;
    }

    private static long toLong(String name, Object value) {
        if (value instanceof Number) {
            Number n = (Number) value;
            if (n.doubleValue() != Math.rint(n.doubleValue())) {
                throw invalid(name, value, "an integer");
            }
            return n.longValue();
        }
        try {
            return Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw invalid(name, value, "an integer");
        }
    }

    private static float toFloat(String name, Object value) {
        if (value instanceof Number) {
            return ((Number) value).floatValue();
        }
        try {
            return Float.parseFloat(value.toString().trim());
        } catch (NumberFormatException e) {
            throw invalid(name, value, "a number");
        }
    }

    private static List<String> toStrings(String name, Object value) {
        List<String> list = new ArrayList<>();
        if (value instanceof Collection) {
            for (Object o : (Collection<?>) value) {
                list.add(String.valueOf(o));
            }
        } else if (value instanceof String[]) {
            Collections.addAll(list, (String[]) value);
        } else if (value instanceof String) {
            for (String s : ((String) value).split(",", -1)) {
                list.add(s);
            }
        } else {
            throw invalid(name, value, "a comma-separated string or a list of strings");
        }
        return list;
    }

    private static IllegalArgumentException invalid(String name, Object value, String allowed) {
        return new IllegalArgumentException(
                "Invalid argument " + name + "=" + value + ": must be " + allowed);
    }

    /** Builds {@link GenerationConfig} instances. */
    public static final class Builder {

        private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        private float temperature;
        private int topK;
        private float topP = 1f;
        private Long seed;
        private List<String> stopSequences = new ArrayList<>();
        private Set<Long> eosTokenIds = new LinkedHashSet<>();

        Builder() {}

        /**
         * Sets the largest number of tokens to generate.
         *
         * @param maxNewTokens a count &gt;= 0
         * @return this builder
         */
        public Builder optMaxNewTokens(int maxNewTokens) {
            if (maxNewTokens < 0) {
                throw invalid("maxNewTokens", maxNewTokens, "an integer >= 0");
            }
            this.maxNewTokens = maxNewTokens;
            return this;
        }

        /**
         * Sets the softmax temperature; 0 (the default) means greedy decoding.
         *
         * @param temperature a finite value &gt;= 0
         * @return this builder
         */
        public Builder optTemperature(float temperature) {
            if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
                throw invalid("temperature", temperature, "a finite number >= 0 (0 = greedy)");
            }
            this.temperature = temperature;
            return this;
        }

        /**
         * Sets how many of the most likely tokens are kept before sampling; 0 (the default) keeps
         * all.
         *
         * @param topK a count &gt;= 0
         * @return this builder
         */
        public Builder optTopK(int topK) {
            if (topK < 0) {
                throw invalid("topK", topK, "an integer >= 0 (0 = disabled)");
            }
            this.topK = topK;
            return this;
        }

        /**
         * Sets the nucleus mass; 1 (the default) keeps all tokens.
         *
         * @param topP a value in (0, 1]
         * @return this builder
         */
        public Builder optTopP(float topP) {
            if (!(topP > 0f && topP <= 1f)) {
                throw invalid("topP", topP, "a number in (0, 1] (1 = disabled)");
            }
            this.topP = topP;
            return this;
        }

        /**
         * Sets the random seed; {@code null} (the default) draws a fresh seed per request.
         *
         * @param seed the seed or {@code null}
         * @return this builder
         */
        public Builder optSeed(Long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the texts that end the generation.
         *
         * @param stopSequences non-empty strings
         * @return this builder
         */
        public Builder optStopSequences(List<String> stopSequences) {
            List<String> list = new ArrayList<>();
            for (String s : stopSequences) {
                if (s == null || s.isEmpty()) {
                    throw invalid(
                            "stopSequences",
                            stopSequences,
                            "non-empty strings (comma-separated or a list)");
                }
                list.add(s);
            }
            this.stopSequences = list;
            return this;
        }

        /**
         * Sets the token ids that end the generation.
         *
         * @param eosTokenIds the ids
         * @return this builder
         */
        public Builder optEosTokenIds(Collection<Long> eosTokenIds) {
            this.eosTokenIds = new LinkedHashSet<>(eosTokenIds);
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @return the configuration
         */
        public GenerationConfig build() {
            return new GenerationConfig(this);
        }
    }
}
