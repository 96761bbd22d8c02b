package dev.djlmetal.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteLevelBpeTrainerTest {

    @Test
    void huggingFaceTokenizerAgreesWithTheTrainersOwnEncoder(@TempDir Path dir) throws Exception {
        List<String> corpus = new StoryGrammar(1).stories(300);
        ByteLevelBpeTrainer trainer = new ByteLevelBpeTrainer(600).train(corpus);
        assertEquals(600, trainer.getTokens().size());
        trainer.write(dir);
        assertTrue(Files.size(dir.resolve("tokenizer.json")) > 0);
        List<String> heldOut = new StoryGrammar(99).stories(20);
        heldOut.add("Unseen words: Zürich, 42 naïve émigrés \u2014 ok?");
        try (HuggingFaceTokenizer tokenizer =
                HuggingFaceTokenizer.newInstance(dir, Map.of("addSpecialTokens", "true"))) {
            for (String text : heldOut) {
                Encoding encoding = tokenizer.encode(text);
                assertArrayEquals(trainer.encode(text), encoding.getIds(), text);
                assertEquals(text, tokenizer.decode(encoding.getIds(), true));
            }
        }
    }

    @Test
    void mergesCompressTheCorpus() {
        List<String> corpus = new StoryGrammar(2).stories(200);
        ByteLevelBpeTrainer trainer = new ByteLevelBpeTrainer(800).train(corpus);
        String story = new StoryGrammar(3).story();
        int bytes = story.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        int ids = trainer.encode(story).length - 1;
        assertTrue(ids * 3 < bytes, "expected over 3 bytes per token, got " + bytes + "/" + ids);
    }

    @Test
    void byteTableIsAPermutationOfPrintableCharacters() {
        char[] table = ByteLevelBpeTrainer.byteToUnicode();
        assertEquals('!', table['!']);
        assertEquals((char) 256, table[0]);
        assertEquals((char) ('Ġ'), table[' ']);
        assertEquals(256, new String(table).chars().distinct().count());
    }
}
