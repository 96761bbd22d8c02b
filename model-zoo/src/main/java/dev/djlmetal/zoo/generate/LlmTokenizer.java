package dev.djlmetal.zoo.generate;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The tokenizer of a causal language model, read offline from the model directory's {@code
 * tokenizer.json}.
 *
 * <p>When {@code tokenizer_config.json} sets {@code add_bos_token}, prompts are encoded without the
 * tokenizer's own special tokens and the {@code bos_token} is prepended when requested (the
 * behavior of transformers' Llama tokenizers); otherwise the post-processor of {@code
 * tokenizer.json} decides. Decoding skips special tokens.
 */
public final class LlmTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final Boolean addBos;
    private final long bosId;

    private LlmTokenizer(HuggingFaceTokenizer tokenizer, Boolean addBos, long bosId) {
        this.tokenizer = tokenizer;
        this.addBos = addBos;
        this.bosId = bosId;
    }

    /**
     * Loads the tokenizer of a model directory.
     *
     * @param modelDir the directory holding {@code tokenizer.json}
     * @return the tokenizer
     * @throws IOException when {@code tokenizer.json} is missing or unreadable
     */
    public static LlmTokenizer load(Path modelDir) throws IOException {
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "No tokenizer.json in "
                            + modelDir
                            + ": text generation needs the model's Hugging Face tokenizer");
        }
        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "false");
        options.put("truncation", "false");
        options.put("padding", "false");
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(file, options);

        Boolean addBos = null;
        long bosId = -1;
        Path configFile = modelDir.resolve("tokenizer_config.json");
        if (Files.isRegularFile(configFile)) {
            JsonObject config = readJson(configFile);
            JsonElement add = config.get("add_bos_token");
            if (add != null && add.isJsonPrimitive()) {
                addBos = add.getAsBoolean();
                if (addBos) {
                    String bos = tokenContent(config.get("bos_token"));
                    bosId = bos == null ? -1 : findAddedToken(file, bos);
                    if (bosId < 0) {
                        tokenizer.close();
                        throw new IOException(
                                configFile
                                        + " sets add_bos_token but its bos_token "
                                        + bos
                                        + " is not a token of "
                                        + file);
                    }
                }
            }
        }
        return new LlmTokenizer(tokenizer, addBos, bosId);
    }

    /**
     * Encodes a prompt, with the beginning-of-sequence token where the model expects one.
     *
     * @param text the prompt
     * @return the token ids
     */
    public long[] encode(String text) {
        if (addBos == null) {
            return tokenizer.encode(text, true, false).getIds();
        }
        long[] ids = tokenizer.encode(text, false, false).getIds();
        if (!addBos) {
            return ids;
        }
        long[] withBos = new long[ids.length + 1];
        withBos[0] = bosId;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    /**
     * Encodes text as it is, adding no special token: for a rendered chat template, which holds its
     * own (as transformers' {@code apply_chat_template} encodes it).
     *
     * @param text the text
     * @return the token ids
     */
    public long[] encodeWithoutSpecialTokens(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    /**
     * Decodes token ids to text, skipping special tokens.
     *
     * @param ids the token ids
     * @return the text
     */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /**
     * Decodes the continuation of a prompt: the text that the generated ids add to the prompt's
     * text (spaces and multi-token characters come out as in a decode of the whole sequence).
     *
     * @param promptIds the prompt ids
     * @param generatedIds the generated ids
     * @return the continuation text
     */
    public String decodeContinuation(long[] promptIds, long[] generatedIds) {
        IncrementalDecoder decoder = newDecoder(promptIds);
        StringBuilder sb = new StringBuilder();
        for (long id : generatedIds) {
            sb.append(decoder.add(id));
        }
        return sb.append(decoder.finish()).toString();
    }

    IncrementalDecoder newDecoder(long[] promptIds) {
        return new IncrementalDecoder(this::decode, promptIds);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        tokenizer.close();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LlmTokenizer{addBos=" + addBos + ", bosId=" + bosId + '}';
    }

    private static String tokenContent(JsonElement token) {
        if (token == null || token.isJsonNull()) {
            return null;
        }
        if (token.isJsonObject()) {
            JsonElement content = token.getAsJsonObject().get("content");
            return content == null ? null : content.getAsString();
        }
        return token.getAsString();
    }

    private static long findAddedToken(Path tokenizerFile, String content) throws IOException {
        JsonObject json = readJson(tokenizerFile);
        JsonElement added = json.get("added_tokens");
        if (added != null && added.isJsonArray()) {
            for (JsonElement e : added.getAsJsonArray()) {
                JsonObject token = e.getAsJsonObject();
                if (content.equals(token.get("content").getAsString())) {
                    return token.get("id").getAsLong();
                }
            }
        }
        JsonElement model = json.get("model");
        if (model != null && model.isJsonObject()) {
            JsonElement vocab = model.getAsJsonObject().get("vocab");
            if (vocab != null && vocab.isJsonObject()) {
                JsonElement id = vocab.getAsJsonObject().get(content);
                if (id != null) {
                    return id.getAsLong();
                }
            }
        }
        return -1;
    }

    private static JsonObject readJson(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            return JsonParser.parseReader(reader).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("Cannot parse " + file + ": " + e.getMessage(), e);
        }
    }
}
