package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.testing.FloatErrorBounds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Criteria finds the Metal translators for a checkpoint directory without the user naming one. The
 * model here is the plain-Java-checked {@link BigramLm} on the PyTorch engine, so this test
 * exercises DJL's lookup (repository arguments, translator factory, predictor) independently of the
 * Llama blocks.
 */
class CriteriaTranslatorTest {

    @TempDir static Path dir;

    private static BigramLm lm;

    @BeforeAll
    static void writeCheckpoint() throws IOException {
        BigramLm.writeModelFiles(dir, 1);
        lm = new BigramLm(11);
        try (Model model = lm.newModel(dir)) {
            model.save(dir, "bigram");
        }
        // an empty safetensors file: what marks the directory as a Hugging Face style checkpoint
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] file = new byte[8 + header.length];
        file[0] = (byte) header.length;
        System.arraycopy(header, 0, file, 8, header.length);
        Files.write(dir.resolve("model.safetensors"), file);
    }

    private static <I, O> Criteria<I, O> criteria(Class<I> in, Class<O> out, int maxNewTokens) {
        return Criteria.builder()
                .setTypes(in, out)
                .optEngine("PyTorch")
                .optModelPath(dir)
                .optModelName("bigram")
                .optBlock(new BigramLm(11))
                .optArgument("maxNewTokens", maxNewTokens)
                .build();
    }

    @Test
    void stringToStringNeedsNoTranslator() throws Exception {
        long[] prompt = {0, 2, 8};
        String expected = continuation(lm.greedyReference(prompt, 12, 1));
        try (ZooModel<String, String> model = criteria(String.class, String.class, 12).loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            assertEquals(expected, predictor.predict("the dog"));
            List<String> pieces = new ArrayList<>();
            String streamed = TextGenerator.of(model).generate("the dog", pieces::add);
            assertEquals(expected, streamed);
            assertEquals(expected, String.join("", pieces));
        }
    }

    @Test
    void ndListGivesLogits() throws Exception {
        try (ZooModel<NDList, NDList> model = criteria(NDList.class, NDList.class, 1).loadModel();
                Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            NDArray ids = manager.create(new long[] {0, 2, 3, 4, 5, 3, 6}, new Shape(1, 7));
            NDList out = predictor.predict(new NDList(ids));
            NDArray logits = out.get(0);
            assertEquals(DataType.FLOAT32, logits.getDataType());
            assertEquals(new Shape(1, 7, BigramLm.WORDS.length), logits.getShape());
            float[] row = logits.get("0, 6").toFloatArray();
            for (int j = 0; j < row.length; j++) {
                // one product and one sum in float
                double bound =
                        FloatErrorBounds.gamma(2)
                                * (Math.abs(lm.table[6][j]) + 6 * Math.abs(lm.drift[j]));
                assertEquals(lm.table[6][j] + 6 * lm.drift[j], row[j], bound);
            }
        }
    }

    @Test
    void badArgumentFailsClearly() {
        Criteria<String, String> criteria =
                criteria(String.class, String.class, 5).toBuilder()
                        .optArgument("topP", "2")
                        .build();
        Exception e = assertThrows(Exception.class, criteria::loadModel);
        String messages = allMessages(e);
        assertTrue(messages.contains("topP=2"), messages);
    }

    private static String continuation(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append(' ').append(BigramLm.WORDS[(int) id]);
        }
        return sb.toString();
    }

    static String allMessages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append(" | ");
        }
        return sb.toString();
    }

    @Test
    void tokenIdsRoundTrip() throws IOException {
        try (LlmTokenizer tokenizer = LlmTokenizer.load(dir)) {
            long[] ids = tokenizer.encode("the dog");
            assertArrayEquals(new long[] {0, 2, 8}, ids);
            assertEquals("the dog", tokenizer.decode(ids));
            long[] sentence = tokenizer.encode("the dog saw a cat");
            assertEquals("the dog saw a cat", tokenizer.decode(sentence));
            assertEquals(
                    " saw a cat",
                    tokenizer.decodeContinuation(
                            ids, Arrays.copyOfRange(sentence, 3, sentence.length)));
        }
    }
}
