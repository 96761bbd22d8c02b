package dev.djlmetal.zoo.serving;

import ai.djl.modality.Output;
import ai.djl.ndarray.BytesSupplier;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.djlmetal.zoo.generate.GeneratedToken;
import dev.djlmetal.zoo.generate.GenerationResult;
import dev.djlmetal.zoo.generate.SequenceState;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/** Writes the JSON of the responses of both schemas. */
final class ServingResponses {

    static final String JSON = "application/json";
    static final String JSON_LINES = "application/jsonlines";

    private static final Gson GSON =
            new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    private ServingResponses() {}

    /** A 400 (or other) output naming the problem. */
    static Output error(int code, String message) {
        Output output = new Output(code, message);
        JsonObject body = new JsonObject();
        body.addProperty("error", message);
        body.addProperty("code", code);
        output.addProperty("Content-Type", JSON);
        output.add(BytesSupplier.wrap(GSON.toJson(body)));
        return output;
    }

    /** The complete response of a non-streaming request. */
    static Output complete(ServingRequest request, List<SequenceState> sequences, String model) {
        Output output = new Output();
        output.addProperty("Content-Type", JSON);
        JsonElement body;
        if (request.getSchema() == ServingRequest.Schema.CHAT) {
            body = chatCompletion(sequences.get(0).getResult(), model);
        } else if (request.isList()) {
            JsonArray array = new JsonArray();
            for (SequenceState sequence : sequences) {
                array.add(generated(request, sequence));
            }
            body = array;
        } else {
            body = generated(request, sequences.get(0));
        }
        output.add(BytesSupplier.wrap(GSON.toJson(body)));
        return output;
    }

    private static JsonObject generated(ServingRequest request, SequenceState sequence) {
        JsonObject object = new JsonObject();
        object.addProperty("generated_text", text(sequence));
        if (request.isDetails()) {
            object.add("details", details(sequence.getResult(), true));
        }
        return object;
    }

    /** The generated text, after the prompt when {@code return_full_text} is set. */
    static String text(SequenceState sequence) {
        GenerationResult result = sequence.getResult();
        boolean full = sequence.getConfig().isReturnFullText() && result.getPrompt() != null;
        return full ? result.getPrompt() + result.getText() : result.getText();
    }

    static JsonObject details(GenerationResult result, boolean withTokens) {
        JsonObject details = new JsonObject();
        details.addProperty("finish_reason", result.getFinishReason().getWireName());
        details.addProperty("generated_tokens", result.getTokens().size());
        if (withTokens) {
            JsonArray tokens = new JsonArray();
            for (GeneratedToken token : result.getTokens()) {
                tokens.add(token(token, token.getText()));
            }
            details.add("tokens", tokens);
        }
        return details;
    }

    static JsonObject token(GeneratedToken token, String text) {
        JsonObject object = new JsonObject();
        object.addProperty("id", token.getId());
        object.addProperty("text", text);
        object.addProperty("logprob", token.getLogprob());
        object.addProperty("special", token.isSpecial());
        return object;
    }

    private static JsonObject chatCompletion(GenerationResult result, String model) {
        JsonObject object = chatEnvelope("chat.completion", model);
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        JsonObject message = new JsonObject();
        message.addProperty("role", "assistant");
        message.addProperty("content", result.getText());
        choice.add("message", message);
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.addProperty("finish_reason", result.getFinishReason().getOpenAiName());
        JsonArray choices = new JsonArray();
        choices.add(choice);
        object.add("choices", choices);
        object.add("usage", usage(result));
        return object;
    }

    static JsonObject chatEnvelope(String type, String model) {
        JsonObject object = new JsonObject();
        object.addProperty("id", "chatcmpl-" + UUID.randomUUID());
        object.addProperty("object", type);
        object.addProperty("created", System.currentTimeMillis() / 1000);
        object.addProperty("model", model);
        return object;
    }

    static JsonObject usage(GenerationResult result) {
        JsonObject usage = new JsonObject();
        int completion = result.getTokens().size();
        usage.addProperty("prompt_tokens", result.getPromptTokenCount());
        usage.addProperty("completion_tokens", completion);
        usage.addProperty("total_tokens", result.getPromptTokenCount() + completion);
        return usage;
    }

    /** One JSON line, newline-terminated. */
    static byte[] line(JsonObject object) {
        return (GSON.toJson(object) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
