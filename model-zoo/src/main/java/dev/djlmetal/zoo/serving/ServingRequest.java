package dev.djlmetal.zoo.serving;

import ai.djl.modality.Input;
import ai.djl.ndarray.BytesSupplier;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.djlmetal.engine.loading.LoaderOptions;
import dev.djlmetal.zoo.chat.JsonValues;
import dev.djlmetal.zoo.generate.GenerationParameter;
import dev.djlmetal.zoo.generate.GenerationRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One DJL Serving request, parsed.
 *
 * <ul>
 *   <li>LMI / TGI: {@code {"inputs": "..." | ["...", ...], "parameters": {...}, "stream": bool}};
 *       the parameters are those of {@link GenerationParameter} plus {@code details};
 *   <li>OpenAI chat completions: {@code {"messages": [...], "max_tokens", "max_completion_tokens",
 *       "temperature", "top_p", "top_k", "seed", "stop", "repetition_penalty", "do_sample", "n"
 *       (1), "tools", "chat_template_kwargs", "stream", "model", "user"}};
 *   <li>a body that is not JSON (without a JSON content type): the prompt itself.
 * </ul>
 */
final class ServingRequest {

    /** The schema of a request, which is also the schema of its response. */
    enum Schema {
        /** LMI / TGI text generation. */
        TGI,
        /** OpenAI chat completions. */
        CHAT
    }

    private static final Set<String> TGI_KEYS = Set.of("inputs", "parameters", "stream");
    private static final Set<String> TGI_EXTRA_PARAMETERS = Set.of("details");

    /**
     * TGI parameters this engine does not implement, with the values that mean "off", which clients
     * such as huggingface_hub send with every request.
     */
    private static final Map<String, List<Object>> TGI_NEUTRAL =
            Map.of(
                    "decoder_input_details", List.of(false),
                    "watermark", List.of(false),
                    "top_n_tokens", List.of(0L),
                    "typical_p", List.of(1L, 1.0),
                    "best_of", List.of(1L),
                    "truncate", List.of(),
                    "adapter_id", List.of(),
                    "grammar", List.of(),
                    "frequency_penalty", List.of(0L, 0.0));

    /** The same for OpenAI chat fields. */
    private static final Map<String, List<Object>> CHAT_NEUTRAL =
            Map.of(
                    "frequency_penalty", List.of(0L, 0.0),
                    "presence_penalty", List.of(0L, 0.0),
                    "logit_bias", List.of(),
                    "top_logprobs", List.of(0L),
                    "stream_options", List.of(),
                    "parallel_tool_calls", List.of(true, false),
                    "tool_choice", List.of("auto", "none"),
                    "response_format", List.of());

    private static final Set<String> CHAT_KEYS =
            new LinkedHashSet<>(
                    List.of(
                            "messages",
                            "model",
                            "max_tokens",
                            "max_completion_tokens",
                            "temperature",
                            "top_p",
                            "top_k",
                            "seed",
                            "stop",
                            "repetition_penalty",
                            "do_sample",
                            "n",
                            "tools",
                            "chat_template_kwargs",
                            "stream",
                            "user",
                            "logprobs"));

    private final Schema schema;
    private final List<GenerationRequest> requests;
    private final boolean list;
    private final boolean stream;
    private final boolean details;

    private ServingRequest(
            Schema schema,
            List<GenerationRequest> requests,
            boolean list,
            boolean stream,
            boolean details) {
        this.schema = schema;
        this.requests = requests;
        this.list = list;
        this.stream = stream;
        this.details = details;
    }

    Schema getSchema() {
        return schema;
    }

    List<GenerationRequest> getRequests() {
        return requests;
    }

    /** Whether the inputs were a list (the response is then a list). */
    boolean isList() {
        return list;
    }

    boolean isStream() {
        return stream;
    }

    /** Whether TGI details (finish reason, tokens) go into the response. */
    boolean isDetails() {
        return details;
    }

    /**
     * Parses a request.
     *
     * @param input the DJL Serving input
     * @return the request
     * @throws BadRequestException naming what is wrong
     */
    static ServingRequest parse(Input input) {
        BytesSupplier data = input.getData();
        if (data == null) {
            throw new BadRequestException("The request has no body");
        }
        String body = data.getAsString();
        boolean jsonType = isJsonContentType(input);
        JsonElement json;
        try {
            json = JsonParser.parseString(body);
        } catch (JsonParseException e) {
            if (jsonType) {
                throw new BadRequestException(
                        "The request body is not valid JSON: " + e.getMessage(), e);
            }
            json = null;
        }
        if (json == null || !json.isJsonObject()) {
            if (jsonType) {
                throw new BadRequestException(
                        "The request body must be a JSON object with \"inputs\" (text generation)"
                                + " or \"messages\" (chat)");
            }
            return new ServingRequest(
                    Schema.TGI, List.of(GenerationRequest.of(body)), false, false, false);
        }
        JsonObject object = json.getAsJsonObject();
        if (object.has("messages")) {
            return parseChat(object);
        }
        if (object.has("inputs")) {
            return parseTgi(object);
        }
        throw new BadRequestException(
                "The request must have \"inputs\" (text generation) or \"messages\" (chat); it has "
                        + object.keySet());
    }

    private static ServingRequest parseTgi(JsonObject object) {
        checkKeys(object.keySet(), TGI_KEYS, "request");
        boolean stream = bool(object, "stream");
        Map<String, Object> parameters = new LinkedHashMap<>();
        JsonElement given = object.get("parameters");
        if (given != null && !given.isJsonNull()) {
            if (!given.isJsonObject()) {
                throw new BadRequestException("\"parameters\" must be a JSON object");
            }
            parameters.putAll(JsonValues.toMap(given.getAsJsonObject()));
        }
        parameters.values().removeIf(java.util.Objects::isNull);
        dropNeutral(parameters, TGI_NEUTRAL, "parameter");
        boolean details = Boolean.TRUE.equals(parameters.remove("details"));
        Set<String> known = new LinkedHashSet<>(GenerationParameter.allNames());
        known.addAll(TGI_EXTRA_PARAMETERS);
        checkKeys(parameters.keySet(), known, "parameter");
        JsonElement inputs = object.get("inputs");
        List<String> prompts = new ArrayList<>();
        boolean list = inputs.isJsonArray();
        if (list) {
            for (JsonElement e : inputs.getAsJsonArray()) {
                if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                    throw new BadRequestException(
                            "\"inputs\" must be a string or a list of strings");
                }
                prompts.add(e.getAsString());
            }
            if (prompts.isEmpty()) {
                throw new BadRequestException("\"inputs\" is an empty list");
            }
            if (stream) {
                throw new BadRequestException(
                        "\"stream\": true takes one input, not a list; send one request per input");
            }
        } else if (inputs.isJsonPrimitive() && inputs.getAsJsonPrimitive().isString()) {
            prompts.add(inputs.getAsString());
        } else {
            throw new BadRequestException("\"inputs\" must be a string or a list of strings");
        }
        List<GenerationRequest> requests = new ArrayList<>();
        for (String prompt : prompts) {
            requests.add(
                    GenerationRequest.builder()
                            .setPrompt(prompt)
                            .optParameters(parameters)
                            .build());
        }
        return new ServingRequest(Schema.TGI, requests, list, stream, details);
    }

    @SuppressWarnings("unchecked")
    private static ServingRequest parseChat(JsonObject given) {
        Map<String, Object> fields = JsonValues.toMap(given);
        fields.values().removeIf(java.util.Objects::isNull);
        dropNeutral(fields, CHAT_NEUTRAL, "field");
        JsonObject object = new JsonObject();
        for (String key : fields.keySet()) {
            object.add(key, given.get(key));
        }
        checkKeys(object.keySet(), CHAT_KEYS, "chat request field");
        boolean stream = bool(object, "stream");
        JsonElement messages = object.get("messages");
        if (!messages.isJsonArray() || messages.getAsJsonArray().isEmpty()) {
            throw new BadRequestException("\"messages\" must be a non-empty list of messages");
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (JsonElement e : messages.getAsJsonArray()) {
            if (!e.isJsonObject() || !e.getAsJsonObject().has("role")) {
                throw new BadRequestException(
                        "Every message must be a JSON object with a \"role\"; got " + e);
            }
            list.add(JsonValues.toMap(e.getAsJsonObject()));
        }
        JsonElement n = object.get("n");
        if (n != null && !n.isJsonNull() && n.getAsDouble() != 1) {
            throw new BadRequestException("\"n\" must be 1: one choice per request");
        }
        GenerationRequest.Builder builder = GenerationRequest.builder().setMessages(list);
        Map<String, String> renames = new LinkedHashMap<>();
        renames.put("max_tokens", "max_new_tokens");
        renames.put("max_completion_tokens", "max_new_tokens");
        for (String key :
                List.of(
                        "max_tokens",
                        "max_completion_tokens",
                        "temperature",
                        "top_p",
                        "top_k",
                        "seed",
                        "stop",
                        "repetition_penalty",
                        "do_sample")) {
            JsonElement value = object.get(key);
            if (value != null && !value.isJsonNull()) {
                builder.optParameter(renames.getOrDefault(key, key), JsonValues.toJava(value));
            }
        }
        JsonElement tools = object.get("tools");
        if (tools != null && !tools.isJsonNull()) {
            if (!tools.isJsonArray()) {
                throw new BadRequestException("\"tools\" must be a list");
            }
            builder.optTools((List<Map<String, Object>>) JsonValues.toJava(tools));
        }
        JsonElement kwargs = object.get("chat_template_kwargs");
        if (kwargs != null && !kwargs.isJsonNull()) {
            if (!kwargs.isJsonObject()) {
                throw new BadRequestException("\"chat_template_kwargs\" must be a JSON object");
            }
            JsonValues.toMap(kwargs.getAsJsonObject()).forEach(builder::optTemplateArgument);
        }
        return new ServingRequest(
                Schema.CHAT, Collections.singletonList(builder.build()), false, stream, false);
    }

    /**
     * Removes the parameters this engine does not implement when they hold a value meaning "off"
     * (an empty list of values accepts only null, removed before); fails for other values.
     */
    private static void dropNeutral(
            Map<String, Object> values, Map<String, List<Object>> neutral, String what) {
        for (Map.Entry<String, List<Object>> e : neutral.entrySet()) {
            if (!values.containsKey(e.getKey())) {
                continue;
            }
            Object value = values.get(e.getKey());
            boolean off =
                    e.getValue().contains(value)
                            || value instanceof java.util.Collection
                                    && ((java.util.Collection<?>) value).isEmpty()
                            || value instanceof Map && ((Map<?, ?>) value).isEmpty()
                            || value instanceof Map && Map.of("type", "text").equals(value);
            if (!off) {
                throw new BadRequestException(
                        "The "
                                + what
                                + " \""
                                + e.getKey()
                                + "\"="
                                + value
                                + " is not supported by engine Metal");
            }
            values.remove(e.getKey());
        }
    }

    private static boolean bool(JsonObject object, String key) {
        JsonElement value = object.get(key);
        if (value == null || value.isJsonNull()) {
            return false;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
            throw new BadRequestException("\"" + key + "\" must be true or false");
        }
        return value.getAsBoolean();
    }

    private static void checkKeys(Set<String> keys, Set<String> known, String what) {
        for (String key : keys) {
            if (!known.contains(key)) {
                String suggestion = LoaderOptions.closest(key, known);
                throw new BadRequestException(
                        "Unknown "
                                + what
                                + " \""
                                + key
                                + "\""
                                + (suggestion == null ? "" : " (did you mean " + suggestion + "?)")
                                + "; known: "
                                + known);
            }
        }
    }

    private static boolean isJsonContentType(Input input) {
        for (Map.Entry<String, String> e : input.getProperties().entrySet()) {
            if ("content-type".equals(e.getKey().toLowerCase(Locale.ROOT))) {
                return e.getValue().toLowerCase(Locale.ROOT).contains("json");
            }
        }
        return false;
    }
}
