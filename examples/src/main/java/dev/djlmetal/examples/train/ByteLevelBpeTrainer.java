package dev.djlmetal.examples.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE tokenizer (the GPT-2 / Llama 3 scheme) and writes it as a Hugging Face
 * {@code tokenizer.json}, so DJL's {@code HuggingFaceTokenizer} and transformers load it unchanged.
 *
 * <p>Ids: {@code <unk>}=0, {@code <s>}=1, {@code </s>}=2, then the 256 byte symbols, then one token
 * per merge. Encoding adds {@code <s>} in front, as Llama tokenizers do. Byte-level symbols make
 * every input encodable.
 */
public final class ByteLevelBpeTrainer {

    /** The special tokens, in id order. */
    public static final List<String> SPECIAL_TOKENS = List.of("<unk>", "<s>", "</s>");

    /** The GPT-2 pre-tokenization pattern that the {@code ByteLevel} pre-tokenizer applies. */
    static final Pattern PRE_TOKENIZER =
            Pattern.compile(
                    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+|"
                            + " ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static final char[] BYTE_TO_CHAR = byteToUnicode();

    private final int vocabSize;
    private final List<String> tokens = new ArrayList<>();
    private final List<String[]> merges = new ArrayList<>();

    /**
     * Creates a trainer.
     *
     * @param vocabSize the final vocabulary size, special tokens and the 256 byte symbols included
     */
    public ByteLevelBpeTrainer(int vocabSize) {
        if (vocabSize <= SPECIAL_TOKENS.size() + 256) {
            throw new IllegalArgumentException(
                    "vocabSize must exceed "
                            + (SPECIAL_TOKENS.size() + 256)
                            + ", got "
                            + vocabSize);
        }
        this.vocabSize = vocabSize;
    }

    /**
     * Maps each byte to the printable character GPT-2's byte-level BPE uses for it.
     *
     * @return a table of 256 characters
     */
    static char[] byteToUnicode() {
        char[] table = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        }
        int next = 256;
        for (int b = 0; b < 256; b++) {
            table[b] = printable[b] ? (char) b : (char) next++;
        }
        return table;
    }

    /**
     * Splits text into pre-tokens and maps each to its byte-level symbols.
     *
     * @param text the text
     * @return the pre-tokens, each a string of byte-level characters
     */
    static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        Matcher matcher = PRE_TOKENIZER.matcher(text);
        while (matcher.find()) {
            byte[] bytes = matcher.group().getBytes(StandardCharsets.UTF_8);
            StringBuilder symbols = new StringBuilder(bytes.length);
            for (byte b : bytes) {
                symbols.append(BYTE_TO_CHAR[b & 0xFF]);
            }
            words.add(symbols.toString());
        }
        return words;
    }

    /**
     * Learns merges from the texts until the vocabulary is full (or no pair occurs twice).
     *
     * @param texts the training texts
     * @return this trainer
     */
    public ByteLevelBpeTrainer train(Iterable<String> texts) {
        tokens.clear();
        merges.clear();
        tokens.addAll(SPECIAL_TOKENS);
        for (char c : BYTE_TO_CHAR) {
            tokens.add(String.valueOf(c));
        }
        Map<String, Integer> wordCounts = new HashMap<>();
        for (String text : texts) {
            for (String word : preTokenize(text)) {
                wordCounts.merge(word, 1, Integer::sum);
            }
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        wordCounts.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(
                        e -> {
                            List<String> symbols = new ArrayList<>();
                            e.getKey()
                                    .codePoints()
                                    .forEach(cp -> symbols.add(Character.toString(cp)));
                            words.add(symbols);
                            counts.add(e.getValue());
                        });
        while (tokens.size() < vocabSize) {
            Map<String, Integer> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> symbols = words.get(w);
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    pairCounts.merge(
                            symbols.get(i) + ' ' + symbols.get(i + 1), counts.get(w), Integer::sum);
                }
            }
            String best = null;
            int bestCount = 1;
            for (Map.Entry<String, Integer> e : pairCounts.entrySet()) {
                int count = e.getValue();
                if (count > bestCount
                        || (count == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = count;
                }
            }
            if (best == null) {
                break;
            }
            String[] pair = best.split(" ", 2);
            merges.add(pair);
            tokens.add(pair[0] + pair[1]);
            for (List<String> symbols : words) {
                applyMerge(symbols, pair);
            }
        }
        return this;
    }

    private static void applyMerge(List<String> symbols, String[] pair) {
        for (int i = 0; i + 1 < symbols.size(); i++) {
            if (symbols.get(i).equals(pair[0]) && symbols.get(i + 1).equals(pair[1])) {
                symbols.set(i, pair[0] + pair[1]);
                symbols.remove(i + 1);
            }
        }
    }

    /**
     * Returns the learned vocabulary in id order.
     *
     * @return the tokens
     */
    public List<String> getTokens() {
        return Collections.unmodifiableList(tokens);
    }

    /**
     * Encodes text with the learned merges, as the Hugging Face BPE model does (merges applied by
     * rank), with {@code <s>} in front. An independent implementation used to check the written
     * {@code tokenizer.json}.
     *
     * @param text the text
     * @return the token ids
     */
    public long[] encode(String text) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);
        }
        Map<String, Integer> ranks = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            ranks.put(merges.get(i)[0] + ' ' + merges.get(i)[1], i);
        }
        List<Long> out = new ArrayList<>();
        out.add((long) SPECIAL_TOKENS.indexOf("<s>"));
        for (String word : preTokenize(text)) {
            List<String> symbols = new ArrayList<>();
            word.codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
            while (symbols.size() > 1) {
                int bestRank = Integer.MAX_VALUE;
                int bestIndex = -1;
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    Integer rank = ranks.get(symbols.get(i) + ' ' + symbols.get(i + 1));
                    if (rank != null && rank < bestRank) {
                        bestRank = rank;
                        bestIndex = i;
                    }
                }
                if (bestIndex < 0) {
                    break;
                }
                applyMerge(symbols, merges.get(bestRank));
            }
            for (String symbol : symbols) {
                out.add((long) ids.get(symbol));
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Builds the Hugging Face {@code tokenizer.json} document.
     *
     * @return the JSON object
     */
    public JsonObject toTokenizerJson() {
        if (tokens.isEmpty()) {
            throw new IllegalStateException("train() must run before the tokenizer is written");
        }
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", null);
        root.add("padding", null);
        JsonArray added = new JsonArray();
        for (int i = 0; i < SPECIAL_TOKENS.size(); i++) {
            JsonObject token = new JsonObject();
            token.addProperty("id", i);
            token.addProperty("content", SPECIAL_TOKENS.get(i));
            token.addProperty("single_word", false);
            token.addProperty("lstrip", false);
            token.addProperty("rstrip", false);
            token.addProperty("normalized", false);
            token.addProperty("special", true);
            added.add(token);
        }
        root.add("added_tokens", added);
        root.add("normalizer", null);
        root.add("pre_tokenizer", byteLevel());
        root.add("post_processor", bosTemplate());
        root.add("decoder", byteLevel());
        JsonObject model = new JsonObject();
        model.addProperty("type", "BPE");
        model.add("dropout", null);
        model.add("unk_token", null);
        model.add("continuing_subword_prefix", null);
        model.add("end_of_word_suffix", null);
        model.addProperty("fuse_unk", false);
        model.addProperty("byte_fallback", false);
        model.addProperty("ignore_merges", false);
        JsonObject vocab = new JsonObject();
        for (int i = 0; i < tokens.size(); i++) {
            vocab.addProperty(tokens.get(i), i);
        }
        model.add("vocab", vocab);
        JsonArray mergeList = new JsonArray();
        for (String[] merge : merges) {
            JsonArray pair = new JsonArray();
            pair.add(merge[0]);
            pair.add(merge[1]);
            mergeList.add(pair);
        }
        model.add("merges", mergeList);
        root.add("model", model);
        return root;
    }

    private static JsonObject byteLevel() {
        JsonObject json = new JsonObject();
        json.addProperty("type", "ByteLevel");
        json.addProperty("add_prefix_space", false);
        json.addProperty("trim_offsets", true);
        json.addProperty("use_regex", true);
        return json;
    }

    private static JsonObject bosTemplate() {
        JsonObject bos = new JsonObject();
        JsonObject special = new JsonObject();
        special.addProperty("id", "<s>");
        special.addProperty("type_id", 0);
        bos.add("SpecialToken", special);
        JsonArray single = new JsonArray();
        single.add(bos);
        single.add(sequence("A"));
        JsonArray pair = new JsonArray();
        pair.add(bos);
        pair.add(sequence("A"));
        pair.add(bos);
        pair.add(sequence("B"));
        JsonObject specialTokens = new JsonObject();
        JsonObject bosEntry = new JsonObject();
        bosEntry.addProperty("id", "<s>");
        JsonArray ids = new JsonArray();
        ids.add(SPECIAL_TOKENS.indexOf("<s>"));
        bosEntry.add("ids", ids);
        JsonArray tokenList = new JsonArray();
        tokenList.add("<s>");
        bosEntry.add("tokens", tokenList);
        specialTokens.add("<s>", bosEntry);
        JsonObject template = new JsonObject();
        template.addProperty("type", "TemplateProcessing");
        template.add("single", single);
        template.add("pair", pair);
        template.add("special_tokens", specialTokens);
        return template;
    }

    private static JsonObject sequence(String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject seq = new JsonObject();
        seq.add("Sequence", inner);
        return seq;
    }

    /**
     * Writes {@code tokenizer.json} and {@code tokenizer_config.json} into a directory.
     *
     * @param dir the model directory
     * @throws IOException when writing fails
     */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        GsonBuilder gson = new GsonBuilder().serializeNulls().disableHtmlEscaping();
        Files.writeString(dir.resolve("tokenizer.json"), gson.create().toJson(toTokenizerJson()));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bos_token", "<s>");
        config.put("eos_token", "</s>");
        config.put("unk_token", "<unk>");
        config.put("add_bos_token", true);
        config.put("add_eos_token", false);
        config.put("model_max_length", 512);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                gson.setPrettyPrinting().create().toJson(config));
    }

    /**
     * Returns the merges in rank order.
     *
     * @return the merge pairs
     */
    public List<String[]> getMerges() {
        List<String[]> copy = new ArrayList<>();
        for (String[] m : merges) {
            copy.add(Arrays.copyOf(m, 2));
        }
        return copy;
    }
}
