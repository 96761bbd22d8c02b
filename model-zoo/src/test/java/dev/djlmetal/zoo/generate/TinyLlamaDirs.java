package dev.djlmetal.zoo.generate;

import com.google.gson.JsonObject;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Tiny random Llama checkpoints with a word-level tokenizer, for generation tests. */
public final class TinyLlamaDirs {

    private TinyLlamaDirs() {}

    /**
     * Writes the float32 tiny Llama of {@link TinyCheckpoints} with a tokenizer whose words are
     * {@code <unk> <s> </s> w3 ... w95}.
     *
     * @param dir the directory
     * @param seed the weight seed
     * @param maxShardBytes the shard size limit ({@code Long.MAX_VALUE} for one file)
     * @throws IOException when writing fails
     */
    public static void write(Path dir, long seed, long maxShardBytes) throws IOException {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        DecoderConfig config = DecoderConfig.fromJson(json);
        Files.createDirectories(dir);
        TinyCheckpoints.floatTensors(TinyCheckpoints.randomWeights(config, seed))
                .writeTo(dir, json, SafetensorsDType.F32, maxShardBytes);
        writeTokenizer(dir, json.get("vocab_size").getAsInt());
    }

    /**
     * Writes {@code tokenizer.json} (word level) and {@code tokenizer_config.json}.
     *
     * @param dir the directory
     * @param vocab the vocabulary size
     * @throws IOException when writing fails
     */
    public static void writeTokenizer(Path dir, int vocab) throws IOException {
        StringBuilder words = new StringBuilder("\"<unk>\":0,\"<s>\":1,\"</s>\":2");
        for (int i = 3; i < vocab; i++) {
            words.append(",\"w").append(i).append("\":").append(i);
        }
        String special =
                "{\"id\":%d,\"content\":\"%s\",\"single_word\":false,\"lstrip\":false,"
                        + "\"rstrip\":false,\"normalized\":false,\"special\":true}";
        String tokenizer =
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                        + String.format(special, 0, "<unk>")
                        + ","
                        + String.format(special, 1, "<s>")
                        + ","
                        + String.format(special, 2, "</s>")
                        + "],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                        + "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":"
                        + "\"WordLevel\",\"vocab\":{"
                        + words
                        + "},\"unk_token\":\"<unk>\"}}";
        Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                "{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\",\"add_bos_token\":true}");
    }
}
