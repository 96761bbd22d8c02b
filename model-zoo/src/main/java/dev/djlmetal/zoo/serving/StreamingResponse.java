package dev.djlmetal.zoo.serving;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.djlmetal.zoo.generate.GeneratedToken;
import dev.djlmetal.zoo.generate.GenerationResult;
import dev.djlmetal.zoo.generate.SequenceState;
import dev.djlmetal.zoo.generate.TokenListener;
import java.util.function.BiConsumer;

/**
 * Writes the JSON lines of a streamed response, one per generated token, as the sequence produces
 * them.
 *
 * <ul>
 *   <li>LMI / TGI: {@code {"token": {"id", "text", "logprob", "special"}, "generated_text": null}};
 *       the last line carries the whole {@code generated_text} and {@code details} ({@code
 *       finish_reason}, {@code generated_tokens});
 *   <li>chat: OpenAI {@code chat.completion.chunk} objects whose {@code delta} holds the token's
 *       text; the last one carries the {@code finish_reason} and the {@code usage}.
 * </ul>
 *
 * <p>A line is written when the next token arrives, so the last token's line can carry the end of
 * the generation; the texts of the lines add up to the generated text.
 */
final class StreamingResponse implements TokenListener {

    private final ServingRequest.Schema schema;
    private final String model;
    private final BiConsumer<byte[], Boolean> out;
    private SequenceState sequence;
    private GeneratedToken pending;
    private int released;
    private boolean first = true;

    /**
     * Creates the writer.
     *
     * @param schema the schema of the request
     * @param model the model name (chat responses)
     * @param out receives each line and whether it is the last
     */
    StreamingResponse(ServingRequest.Schema schema, String model, BiConsumer<byte[], Boolean> out) {
        this.schema = schema;
        this.model = model;
        this.out = out;
    }

    /** The sequence this writer reports, for its settings ({@code return_full_text}). */
    void setSequence(SequenceState sequence) {
        this.sequence = sequence;
    }

    /** {@inheritDoc} */
    @Override
    public void onToken(GeneratedToken token) {
        if (pending != null) {
            out.accept(ServingResponses.line(line(pending, pending.getText(), null)), false);
        }
        released += token.getText().length();
        pending = token;
    }

    /** {@inheritDoc} */
    @Override
    public void onFinish(GenerationResult result) {
        String rest =
                result.getText().length() > released ? result.getText().substring(released) : "";
        String text = pending == null ? rest : pending.getText() + rest;
        out.accept(ServingResponses.line(line(pending, text, result)), true);
    }

    private JsonObject line(GeneratedToken token, String text, GenerationResult result) {
        if (schema == ServingRequest.Schema.CHAT) {
            return chatChunk(text, result);
        }
        JsonObject line = new JsonObject();
        line.add("token", token == null ? JsonNull.INSTANCE : ServingResponses.token(token, text));
        if (result == null) {
            line.add("generated_text", JsonNull.INSTANCE);
        } else {
            line.addProperty("generated_text", ServingResponses.text(sequence));
            line.add("details", ServingResponses.details(result, false));
        }
        return line;
    }

    private JsonObject chatChunk(String text, GenerationResult result) {
        JsonObject chunk = ServingResponses.chatEnvelope("chat.completion.chunk", model);
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        JsonObject delta = new JsonObject();
        if (first) {
            delta.addProperty("role", "assistant");
            first = false;
        }
        delta.addProperty("content", text);
        choice.add("delta", delta);
        choice.add("logprobs", JsonNull.INSTANCE);
        if (result == null) {
            choice.add("finish_reason", JsonNull.INSTANCE);
        } else {
            choice.addProperty("finish_reason", result.getFinishReason().getOpenAiName());
        }
        JsonArray choices = new JsonArray();
        choices.add(choice);
        chunk.add("choices", choices);
        if (result != null) {
            chunk.add("usage", ServingResponses.usage(result));
        }
        return chunk;
    }
}
