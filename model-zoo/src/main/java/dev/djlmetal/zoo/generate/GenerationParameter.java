package dev.djlmetal.zoo.generate;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.djlmetal.engine.loading.LoaderOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The generation settings a {@code Criteria} argument or a request parameter may set, each under a
 * camelCase name, the snake_case name of transformers, TGI and DJL Serving, and the aliases of
 * OpenAI's API.
 *
 * <table>
 *   <caption>Names</caption>
 *   <tr><th>setting</th><th>names</th><th>values</th></tr>
 *   <tr><td>{@link #MAX_NEW_TOKENS}</td><td>maxNewTokens, max_new_tokens, max_tokens</td>
 *       <td>integer &gt;= 0</td></tr>
 *   <tr><td>{@link #DO_SAMPLE}</td><td>doSample, do_sample</td><td>true, false</td></tr>
 *   <tr><td>{@link #TEMPERATURE}</td><td>temperature</td><td>number &gt;= 0</td></tr>
 *   <tr><td>{@link #TOP_K}</td><td>topK, top_k</td><td>integer &gt;= 0</td></tr>
 *   <tr><td>{@link #TOP_P}</td><td>topP, top_p</td><td>number in (0, 1]</td></tr>
 *   <tr><td>{@link #REPETITION_PENALTY}</td><td>repetitionPenalty, repetition_penalty</td>
 *       <td>number &gt; 0</td></tr>
 *   <tr><td>{@link #SEED}</td><td>seed</td><td>integer</td></tr>
 *   <tr><td>{@link #STOP}</td><td>stopSequences, stop_sequences, stop</td>
 *       <td>a string (one stop sequence), a list of strings, or a JSON array text</td></tr>
 *   <tr><td>{@link #RETURN_FULL_TEXT}</td><td>returnFullText, return_full_text</td>
 *       <td>true, false</td></tr>
 * </table>
 */
public enum GenerationParameter {

    /** The largest number of new tokens. */
    MAX_NEW_TOKENS(
            (setting, builder, value) -> builder.optMaxNewTokens(setting.toInt(value)),
            "maxNewTokens",
            "max_new_tokens",
            "max_tokens"),
    /** Whether tokens are sampled. */
    DO_SAMPLE(
            (setting, builder, value) -> builder.optDoSample(setting.toBoolean(value)),
            "doSample",
            "do_sample"),
    /** The softmax temperature. */
    TEMPERATURE(
            (setting, builder, value) -> builder.optTemperature(setting.toFloat(value)),
            "temperature",
            "temperature"),
    /** The top-k limit. */
    TOP_K((setting, builder, value) -> builder.optTopK(setting.toInt(value)), "topK", "top_k"),
    /** The nucleus mass. */
    TOP_P((setting, builder, value) -> builder.optTopP(setting.toFloat(value)), "topP", "top_p"),
    /** The repetition penalty. */
    REPETITION_PENALTY(
            (setting, builder, value) -> builder.optRepetitionPenalty(setting.toFloat(value)),
            "repetitionPenalty",
            "repetition_penalty"),
    /** The random seed. */
    SEED((setting, builder, value) -> builder.optSeed(setting.toLong(value)), "seed", "seed"),
    /** The stop sequences. */
    STOP(
            (setting, builder, value) -> builder.optStopSequences(setting.toStrings(value)),
            "stopSequences",
            "stop_sequences",
            "stop"),
    /** Whether serving responses include the prompt. */
    RETURN_FULL_TEXT(
            (setting, builder, value) -> builder.optReturnFullText(setting.toBoolean(value)),
            "returnFullText",
            "return_full_text");

    private final Setter setter;
    private final String camelName;
    private final String snakeName;
    private final List<String> names;

    GenerationParameter(Setter setter, String camelName, String snakeName, String... aliases) {
        this.setter = setter;
        this.camelName = camelName;
        this.snakeName = snakeName;
        Set<String> all = new LinkedHashSet<>();
        all.add(camelName);
        all.add(snakeName);
        all.addAll(Arrays.asList(aliases));
        this.names = List.copyOf(all);
    }

    /**
     * Returns the camelCase name.
     *
     * @return for example {@code maxNewTokens}
     */
    public String getCamelName() {
        return camelName;
    }

    /**
     * Returns the snake_case name of transformers and TGI.
     *
     * @return for example {@code max_new_tokens}
     */
    public String getSnakeName() {
        return snakeName;
    }

    /**
     * Returns every name of the setting.
     *
     * @return the camelCase name, the snake_case name and the aliases
     */
    public List<String> getNames() {
        return names;
    }

    /**
     * Returns every name of every setting.
     *
     * @return an ordered set
     */
    public static Set<String> allNames() {
        Set<String> all = new LinkedHashSet<>();
        for (GenerationParameter parameter : values()) {
            all.addAll(parameter.names);
        }
        return Collections.unmodifiableSet(all);
    }

    /** How a setting converts a value (with its own names in messages) and sets it. */
    @FunctionalInterface
    private interface Setter {

        void set(GenerationParameter setting, GenerationConfig.Builder builder, Object value);
    }

    /** Applies a value to a builder. */
    void apply(GenerationConfig.Builder builder, Object value) {
        setter.set(this, builder, value);
    }

    /**
     * Returns the value given under one of the names, or null; two names with different values
     * fail.
     */
    Object find(Map<String, ?> values) {
        Object found = null;
        String foundName = null;
        for (String name : names) {
            Object value = values.get(name);
            if (value == null) {
                continue;
            }
            if (found != null && !found.toString().equals(value.toString())) {
                throw new IllegalArgumentException(
                        "Conflicting settings "
                                + foundName
                                + "="
                                + found
                                + " and "
                                + name
                                + "="
                                + value
                                + "; give only one of them");
            }
            found = value;
            foundName = name;
        }
        if (found == null) {
            return null;
        }
        try {
            // validate here so that the message names the spelling the user gave
            apply(GenerationConfig.builder(), found);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            String prefix = "Invalid argument " + camelName + "=";
            if (message != null && message.startsWith(prefix)) {
                throw new IllegalArgumentException(
                        "Invalid argument "
                                + foundName
                                + "="
                                + found
                                + message.substring(message.indexOf(':')),
                        e);
            }
            throw e;
        }
        return found;
    }

    /**
     * Fails for names that are not generation settings.
     *
     * @param keys the names of a request's parameters
     * @throws IllegalArgumentException naming the unknown name and the closest known one
     */
    static void checkNames(Collection<String> keys) {
        Set<String> known = allNames();
        for (String key : keys) {
            if (!known.contains(key)) {
                String suggestion = LoaderOptions.closest(key, known);
                throw new IllegalArgumentException(
                        "Unknown parameter "
                                + key
                                + (suggestion == null ? "" : " (did you mean " + suggestion + "?)")
                                + "; the parameters are "
                                + known);
            }
        }
    }

    /** Converts a JSON value to the Java value the parsers take. */
    static Object fromJson(JsonElement value) {
        if (value.isJsonArray()) {
            List<String> list = new ArrayList<>();
            for (JsonElement e : value.getAsJsonArray()) {
                list.add(e.isJsonPrimitive() ? e.getAsString() : e.toString());
            }
            return list;
        }
        if (value.isJsonPrimitive()) {
            JsonPrimitive primitive = value.getAsJsonPrimitive();
            if (primitive.isBoolean()) {
                return primitive.getAsBoolean();
            }
            if (primitive.isNumber()) {
                return primitive.getAsBigDecimal();
            }
            return primitive.getAsString();
        }
        return value.toString();
    }

    int toInt(Object value) {
        long v = toLong(value);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw GenerationConfig.invalid(camelName, value, "an integer in the int range");
        }
        return (int) v;
    }

    long toLong(Object value) {
        if (value instanceof Number) {
            Number n = (Number) value;
            if (n.doubleValue() != Math.rint(n.doubleValue())) {
                throw GenerationConfig.invalid(camelName, value, "an integer");
            }
            return n.longValue();
        }
        try {
            return Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw GenerationConfig.invalid(camelName, value, "an integer");
        }
    }

    float toFloat(Object value) {
        if (value instanceof Number) {
            return ((Number) value).floatValue();
        }
        try {
            return Float.parseFloat(value.toString().trim());
        } catch (NumberFormatException e) {
            throw GenerationConfig.invalid(camelName, value, "a number");
        }
    }

    boolean toBoolean(Object value) {
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        String text = value.toString().trim().toLowerCase(Locale.ROOT);
        if (!"true".equals(text) && !"false".equals(text)) {
            throw GenerationConfig.invalid(camelName, value, "true or false");
        }
        return Boolean.parseBoolean(text);
    }

    List<String> toStrings(Object value) {
        List<String> list = new ArrayList<>();
        if (value instanceof Collection) {
            for (Object o : (Collection<?>) value) {
                list.add(String.valueOf(o));
            }
        } else if (value instanceof String[]) {
            Collections.addAll(list, (String[]) value);
        } else if (value instanceof String) {
            String text = (String) value;
            if (text.trim().startsWith("[")) {
                try {
                    JsonArray array = JsonParser.parseString(text).getAsJsonArray();
                    for (JsonElement e : array) {
                        list.add(e.getAsString());
                    }
                    return list;
                } catch (JsonParseException
                        | IllegalStateException
                        | UnsupportedOperationException e) {
                    throw GenerationConfig.invalid(
                            camelName, value, "a string, a list of strings or a JSON array text");
                }
            }
            list.add(text);
        } else {
            throw GenerationConfig.invalid(
                    camelName, value, "a string, a list of strings or a JSON array text");
        }
        return list;
    }
}
