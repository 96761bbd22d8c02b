package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextGeneratorTest {

    private static final long EOS = 1;

    @TempDir static Path dir;

    private static BigramLm lm;
    private static Model model;
    private static LlmTokenizer tokenizer;

    @BeforeAll
    static void setUp() throws IOException {
        BigramLm.writeModelFiles(dir, EOS);
        lm = new BigramLm(11);
        model = lm.newModel(dir);
        tokenizer = LlmTokenizer.load(dir);
    }

    @AfterAll
    static void tearDown() {
        tokenizer.close();
        model.close();
    }

    private static TextGenerator generator(GenerationConfig config) {
        // the bigram test model takes one unpadded sequence per pass: a batch of one
        return new TextGenerator(
                model.getBlock(), model.getNDManager(), tokenizer, config, null, 1);
    }

    private static String words(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append(' ').append(BigramLm.WORDS[(int) id]);
        }
        return sb.toString();
    }

    @Test
    void tokenizerAddsBosAndDecodes() {
        assertArrayEquals(new long[] {0, 2, 3}, tokenizer.encode("the cat"));
        assertArrayEquals(new long[] {0}, tokenizer.encode(""));
        assertEquals("the cat", tokenizer.decode(new long[] {0, 2, 3, 1}));
    }

    @Test
    void greedyMatchesPlainJavaReference() {
        GenerationConfig config =
                GenerationConfig.builder().optMaxNewTokens(40).optEosTokenIds(List.of()).build();
        long[] prompt = tokenizer.encode("the dog");
        long[] expected = lm.greedyReference(prompt, 40, -1);
        assertArrayEquals(expected, generator(config).generateIds(prompt));
        assertEquals(words(expected), generator(config).generate("the dog"));
    }

    @Test
    void stopsAtEosAndMaxNewTokens() {
        long[] prompt = tokenizer.encode("a");
        long[] reference = lm.greedyReference(prompt, 200, EOS);
        GenerationConfig withEos =
                GenerationConfig.builder()
                        .optMaxNewTokens(200)
                        .optEosTokenIds(List.of(EOS))
                        .build();
        assertArrayEquals(reference, generator(withEos).generateIds(prompt));

        GenerationConfig three = withEos.toBuilder().optMaxNewTokens(3).build();
        long[] ids = generator(three).generateIds(prompt);
        assertArrayEquals(Arrays.copyOf(reference, Math.min(3, reference.length)), ids);
    }

    @Test
    void stopSequenceIsCutAndNotIncluded() {
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(30).build();
        String full = generator(config).generate("the");
        assertTrue(full.length() > 12, full);
        String stop = full.substring(8, 12);
        GenerationConfig stopped =
                config.toBuilder().optStopSequences(List.of(stop, "never appears")).build();
        List<String> pieces = new ArrayList<>();
        String text = generator(stopped).generate("the", pieces::add);
        assertEquals(full.substring(0, full.indexOf(stop)), text);
        assertEquals(text, String.join("", pieces));
    }

    @Test
    void streamingPiecesAddUpToTheText() {
        GenerationConfig config =
                GenerationConfig.builder()
                        .optMaxNewTokens(25)
                        .optDoSample(true)
                        .optTemperature(0.8f)
                        .optSeed(5L)
                        .build();
        List<String> pieces = new ArrayList<>();
        String streamed = generator(config).generate("the cat sat", pieces::add);
        assertTrue(pieces.size() > 1);
        assertEquals(streamed, String.join("", pieces));
        assertEquals(generator(config).generate("the cat sat"), streamed);
    }

    @Test
    void seedMakesSamplingReproducible() {
        GenerationConfig config =
                GenerationConfig.builder()
                        .optMaxNewTokens(30)
                        .optDoSample(true)
                        .optTemperature(1.5f)
                        .optTopK(10)
                        .optTopP(0.95f)
                        .optSeed(2024L)
                        .build();
        long[] prompt = tokenizer.encode("the");
        long[] first = generator(config).generateIds(prompt);
        assertArrayEquals(first, generator(config).generateIds(prompt));
        long[] otherSeed = generator(config.toBuilder().optSeed(2025L).build()).generateIds(prompt);
        assertFalse(Arrays.equals(first, otherSeed));
        assertFalse(Arrays.equals(lm.greedyReference(prompt, 30, -1), first));
    }

    @Test
    void concurrentRequestsEqualSequentialOnes() throws Exception {
        String[] prompts = {"the cat", "a dog ran", "big red ball", "then"};
        GenerationConfig config =
                GenerationConfig.builder()
                        .optMaxNewTokens(60)
                        .optDoSample(true)
                        .optTemperature(1f)
                        .optSeed(9L)
                        .build();
        TextGenerator generator = generator(config);
        String[] expected = new String[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
            expected[i] = generator.generate(prompts[i]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<String>> futures = new ArrayList<>();
                for (String prompt : prompts) {
                    futures.add(pool.submit(() -> generator.generate(prompt)));
                }
                for (int i = 0; i < prompts.length; i++) {
                    assertEquals(expected[i], futures.get(i).get(), "prompt " + prompts[i]);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void nativeArraysStayFlatOverThousandsOfTokens() {
        GenerationConfig config =
                GenerationConfig.builder()
                        .optMaxNewTokens(2000)
                        .optDoSample(true)
                        .optTemperature(1f)
                        .optSeed(1L)
                        .optEosTokenIds(List.of())
                        .build();
        int before = model.getNDManager().getManagedArrays().size();
        List<Integer> counts = new ArrayList<>();
        NDManager root = model.getNDManager();
        String text =
                generator(config)
                        .generate("the", piece -> counts.add(root.getManagedArrays().size()));
        assertTrue(counts.size() > 1500, "pieces: " + counts.size());
        // the text is the 2000 words sampled with the same seed, as the ids path gives them,
        // without the special tokens <s> and </s> (ids 0 and 1), which decoding skips
        long[] ids = generator(config).generateIds(tokenizer.encode("the"));
        assertEquals(2000, ids.length);
        assertEquals(words(Arrays.stream(ids).filter(id -> id > 1).toArray()), text);
        // the request holds the two cache arrays; nothing else accumulates step after step
        assertEquals(counts.get(10), counts.get(counts.size() - 1));
        assertEquals(before, model.getNDManager().getManagedArrays().size());
    }

    @Test
    void translatorGeneratesThroughPredictor() throws TranslateException {
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(15).build();
        TextGenerationTranslator translator =
                new TextGenerationTranslator(generator(config.toBuilder().build()));
        int before = model.getNDManager().getManagedArrays().size();
        try (Predictor<String, String> predictor = model.newPredictor(translator)) {
            assertEquals(generator(config).generate("the cat"), predictor.predict("the cat"));
            assertEquals(generator(config).generate("a"), predictor.predict("a"));
        }
        assertEquals(before, model.getNDManager().getManagedArrays().size());
    }

    @Test
    void repetitionPenaltyMatchesPlainJavaReference() {
        float penalty = 1.8f;
        GenerationConfig config =
                GenerationConfig.builder()
                        .optMaxNewTokens(30)
                        .optRepetitionPenalty(penalty)
                        .optEosTokenIds(List.of())
                        .build();
        long[] prompt = tokenizer.encode("the dog");
        // the reference: logits after the last token, every token seen so far penalized
        List<Long> seen = new ArrayList<>();
        for (long id : prompt) {
            seen.add(id);
        }
        long[] expected = new long[30];
        for (int n = 0; n < 30; n++) {
            int position = seen.size() - 1;
            long last = seen.get(position);
            float[] row = new float[lm.table.length];
            for (int j = 0; j < row.length; j++) {
                row[j] = lm.table[(int) last][j] + position * lm.drift[j];
            }
            for (int j = 0; j < row.length; j++) {
                if (seen.contains((long) j)) {
                    row[j] = row[j] < 0 ? row[j] * penalty : row[j] / penalty;
                }
            }
            expected[n] = TokenSampler.argmax(row);
            seen.add(expected[n]);
        }
        long[] actual = generator(config).generateIds(prompt);
        assertArrayEquals(expected, actual);
        assertFalse(Arrays.equals(lm.greedyReference(prompt, 30, -1), actual));
    }
}
