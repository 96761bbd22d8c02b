package dev.djlmetal.zoo.generate;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
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
import java.util.Objects;
import java.util.Set;

/**
 * The settings of one text generation: how many tokens, how to choose them and when to stop. The
 * names and meanings are those of transformers' {@code GenerationConfig}.
 *
 * <p>Instances are immutable. They are built in layers, each overriding the one before:
 *
 * <ol>
 *   <li>the defaults of {@link #builder()} (greedy, 64 new tokens), or those of the model's {@code
 *       generation_config.json} read by {@link #fromModelDirectory(Path)} (transformers' defaults
 *       for what the file leaves out, all its {@code eos_token_id}s);
 *   <li>the {@code Criteria} arguments, {@link #withArguments(Map)};
 *   <li>the parameters of one request, {@link #withParameters(Map)}.
 * </ol>
 *
 * <p>In the two last layers every setting has a camelCase and a snake_case name ({@code
 * maxNewTokens} / {@code max_new_tokens}; see {@link GenerationParameter}), values may be strings
 * or numbers, and a {@code temperature} given without {@code do_sample} turns sampling on when it
 * is above 0 and off when it is 0 (as in OpenAI's API). {@code do_sample=false} always means greedy
 * decoding.
 */
public final class GenerationConfig {

    /** The default number of new tokens. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 64;

    /**
     * transformers' default {@code top_k}, applied to what {@code generation_config.json} omits.
     */
    static final int TRANSFORMERS_TOP_K = 50;

    private final int maxNewTokens;
    private final boolean doSample;
    private final float temperature;
    private final int topK;
    private final float topP;
    private final float repetitionPenalty;
    private final Long seed;
    private final List<String> stopSequences;
    private final Set<Long> eosTokenIds;
    private final boolean returnFullText;

    private GenerationConfig(Builder builder) {
        maxNewTokens = builder.maxNewTokens;
        doSample = builder.doSample;
        temperature = builder.temperature;
        topK = builder.topK;
        topP = builder.topP;
        repetitionPenalty = builder.repetitionPenalty;
        seed = builder.seed;
        stopSequences = Collections.unmodifiableList(new ArrayList<>(builder.stopSequences));
        eosTokenIds = Collections.unmodifiableSet(new LinkedHashSet<>(builder.eosTokenIds));
        returnFullText = builder.returnFullText;
    }

    /**
     * Returns a new builder with the defaults: 64 new tokens, greedy decoding (sampling off,
     * temperature 1, no top-k or top-p limit), no repetition penalty, no stop sequence.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads a configuration from {@code Criteria} arguments on top of the defaults.
     *
     * @param arguments the arguments (see {@link GenerationParameter}); others are ignored; may be
     *     {@code null}
     * @param eosTokenIds the end-of-sequence token ids of the model
     * @return the configuration
     * @throws IllegalArgumentException naming the argument, the bad value and what is allowed
     */
    public static GenerationConfig fromArguments(Map<String, ?> arguments, Set<Long> eosTokenIds) {
        return builder().optEosTokenIds(eosTokenIds).build().withArguments(arguments);
    }

    /**
     * Reads the model's default settings: {@code generation_config.json} when present ({@code
     * do_sample}, {@code temperature}, {@code top_k}, {@code top_p}, {@code repetition_penalty},
     * {@code max_new_tokens}, {@code eos_token_id}; what the file leaves out takes transformers'
     * default, for example {@code top_k=50}), else the defaults of {@link #builder()} with the
     * {@code eos_token_id} of {@code config.json}.
     *
     * @param modelDir the model directory
     * @return the configuration
     * @throws IOException when a file exists but cannot be read or parsed
     * @throws IllegalArgumentException when a value of {@code generation_config.json} is invalid
     */
    public static GenerationConfig fromModelDirectory(Path modelDir) throws IOException {
        Builder builder = builder().optEosTokenIds(readEosTokenIds(modelDir));
        Path file = modelDir.resolve("generation_config.json");
        if (!Files.isRegularFile(file)) {
            return builder.build();
        }
        JsonObject json = readJson(file);
        builder.optTopK(TRANSFORMERS_TOP_K);
        try {
            for (GenerationParameter parameter :
                    List.of(
                            GenerationParameter.DO_SAMPLE,
                            GenerationParameter.TEMPERATURE,
                            GenerationParameter.TOP_K,
                            GenerationParameter.TOP_P,
                            GenerationParameter.REPETITION_PENALTY,
                            GenerationParameter.MAX_NEW_TOKENS)) {
                JsonElement value = json.get(parameter.getSnakeName());
                if (value != null && !value.isJsonNull()) {
                    parameter.apply(builder, GenerationParameter.fromJson(value));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
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
            JsonElement eos = readJson(file).get("eos_token_id");
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
     * Returns this configuration with the generation settings among {@code Criteria} arguments
     * applied; other arguments (DJL's, DJL Serving's) are ignored.
     *
     * @param arguments the arguments, may be {@code null}
     * @return the new configuration
     * @throws IllegalArgumentException naming the argument, the bad value and what is allowed
     */
    public GenerationConfig withArguments(Map<String, ?> arguments) {
        return apply(arguments, false);
    }

    /**
     * Returns this configuration with the parameters of one request applied.
     *
     * @param parameters the parameters (see {@link GenerationParameter}), may be {@code null}
     * @return the new configuration
     * @throws IllegalArgumentException for an unknown parameter (naming the closest known one) or a
     *     bad value
     */
    public GenerationConfig withParameters(Map<String, ?> parameters) {
        return apply(parameters, true);
    }

    private GenerationConfig apply(Map<String, ?> values, boolean strict) {
        if (values == null || values.isEmpty()) {
            return this;
        }
        if (strict) {
            GenerationParameter.checkNames(values.keySet());
        }
        Builder builder = toBuilder();
        boolean doSampleGiven = false;
        for (GenerationParameter parameter : GenerationParameter.values()) {
            Object value = parameter.find(values);
            if (value != null) {
                parameter.apply(builder, value);
                doSampleGiven |= parameter == GenerationParameter.DO_SAMPLE;
            }
        }
        Object temperature = GenerationParameter.TEMPERATURE.find(values);
        if (temperature != null && !doSampleGiven) {
            builder.optDoSample(builder.temperature > 0f);
        }
        return builder.build();
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
     * Returns whether tokens are sampled; when false they are chosen greedily.
     *
     * @return the {@code do_sample} setting
     */
    public boolean isDoSample() {
        return doSample;
    }

    /**
     * Returns the softmax temperature of sampling; 0 means greedy decoding.
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
     * Returns the repetition penalty of transformers: the logit of every token already in the
     * sequence (prompt included) is divided by it when positive and multiplied by it when negative;
     * 1 means none.
     *
     * @return the penalty
     */
    public float getRepetitionPenalty() {
        return repetitionPenalty;
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
     * Returns whether tokens are chosen greedily: sampling is off or the temperature is 0.
     *
     * @return {@code true} for greedy decoding
     */
    public boolean isGreedy() {
        return !doSample || temperature == 0f;
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
     * Returns whether serving responses put the prompt before the generated text.
     *
     * @return the {@code return_full_text} setting
     */
    public boolean isReturnFullText() {
        return returnFullText;
    }

    /**
     * Returns a builder that starts with the values of this configuration.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return builder()
                .optMaxNewTokens(maxNewTokens)
                .optDoSample(doSample)
                .optTemperature(temperature)
                .optTopK(topK)
                .optTopP(topP)
                .optRepetitionPenalty(repetitionPenalty)
                .optSeed(seed)
                .optStopSequences(stopSequences)
                .optEosTokenIds(eosTokenIds)
                .optReturnFullText(returnFullText);
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GenerationConfig)) {
            return false;
        }
        GenerationConfig other = (GenerationConfig) o;
        return maxNewTokens == other.maxNewTokens
                && doSample == other.doSample
                && Float.compare(temperature, other.temperature) == 0
                && topK == other.topK
                && Float.compare(topP, other.topP) == 0
                && Float.compare(repetitionPenalty, other.repetitionPenalty) == 0
                && Objects.equals(seed, other.seed)
                && stopSequences.equals(other.stopSequences)
                && eosTokenIds.equals(other.eosTokenIds)
                && returnFullText == other.returnFullText;
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Objects.hash(
                maxNewTokens,
                doSample,
                temperature,
                topK,
                topP,
                repetitionPenalty,
                seed,
                stopSequences,
                eosTokenIds,
                returnFullText);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "GenerationConfig{maxNewTokens="
                + maxNewTokens
                + ", doSample="
                + doSample
                + ", temperature="
                + temperature
                + ", topK="
                + topK
                + ", topP="
                + topP
                + ", repetitionPenalty="
                + repetitionPenalty
                + ", seed="
                + seed
                + ", stopSequences="
                + stopSequences
                + ", eosTokenIds="
                + eosTokenIds
                + ", returnFullText="
                + returnFullText
                + '}';
    }

    private static JsonObject readJson(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            return JsonParser.parseReader(reader).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IOException("Cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    static IllegalArgumentException invalid(String name, Object value, String allowed) {
        return new IllegalArgumentException(
                "Invalid argument " + name + "=" + value + ": must be " + allowed);
    }

    /** Builds {@link GenerationConfig} instances. */
    public static final class Builder {

        private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        private boolean doSample;
        private float temperature = 1f;
        private int topK;
        private float topP = 1f;
        private float repetitionPenalty = 1f;
        private Long seed;
        private List<String> stopSequences = new ArrayList<>();
        private Set<Long> eosTokenIds = new LinkedHashSet<>();
        private boolean returnFullText;

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
         * Sets whether tokens are sampled (false, the default: greedy decoding).
         *
         * @param doSample the {@code do_sample} setting
         * @return this builder
         */
        public Builder optDoSample(boolean doSample) {
            this.doSample = doSample;
            return this;
        }

        /**
         * Sets the softmax temperature of sampling (default 1); 0 means greedy decoding. It does
         * not turn sampling on: see {@link #optDoSample(boolean)}.
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
         * Sets the repetition penalty; 1 (the default) means none.
         *
         * @param repetitionPenalty a finite value &gt; 0
         * @return this builder
         */
        public Builder optRepetitionPenalty(float repetitionPenalty) {
            if (!(repetitionPenalty > 0f) || Float.isInfinite(repetitionPenalty)) {
                throw invalid(
                        "repetitionPenalty", repetitionPenalty, "a finite number > 0 (1 = none)");
            }
            this.repetitionPenalty = repetitionPenalty;
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
                    throw invalid("stopSequences", stopSequences, "a list of non-empty strings");
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
         * Sets whether serving responses put the prompt before the generated text (default false).
         *
         * @param returnFullText the {@code return_full_text} setting
         * @return this builder
         */
        public Builder optReturnFullText(boolean returnFullText) {
            this.returnFullText = returnFullText;
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
