package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IncrementalDecoderTest {

    /** A byte-level tokenizer: every id is one UTF-8 byte; incomplete characters become U+FFFD. */
    private static String decodeBytes(long[] ids) {
        byte[] bytes = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) {
            bytes[i] = (byte) ids[i];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void multiByteCharactersComeOutWhole() {
        String text = "héllo wörld €5 😀!";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        long[] prompt = {'>', ' '};
        IncrementalDecoder decoder =
                new IncrementalDecoder(IncrementalDecoderTest::decodeBytes, prompt);
        List<String> pieces = new ArrayList<>();
        for (byte b : bytes) {
            String piece = decoder.add(b & 0xff);
            if (!piece.isEmpty()) {
                pieces.add(piece);
            }
        }
        pieces.add(decoder.finish());
        assertEquals(text, String.join("", pieces));
        for (String piece : pieces) {
            assertEquals(-1, piece.indexOf('\uFFFD'), "piece " + piece);
        }
        assertEquals("😀", pieces.get(pieces.indexOf("😀")));
    }

    @Test
    void truncatedCharacterIsFlushedAtTheEnd() {
        byte[] euro = "€".getBytes(StandardCharsets.UTF_8);
        IncrementalDecoder decoder =
                new IncrementalDecoder(IncrementalDecoderTest::decodeBytes, new long[] {'a'});
        assertEquals("b", decoder.add('b'));
        assertEquals("", decoder.add(euro[0] & 0xff));
        assertEquals("", decoder.add(euro[1] & 0xff));
        assertEquals("\uFFFD", decoder.finish());
    }

    @Test
    void spacesStrippedAtTheStartOfADecodeStayCorrect() {
        // a decoder that, like Llama's, strips one leading space of the decoded sequence
        String[] vocab = {"<s>", " Once", " upon", " a", " time", ","};
        IncrementalDecoder decoder =
                new IncrementalDecoder(
                        ids -> {
                            StringBuilder sb = new StringBuilder();
                            for (long id : ids) {
                                if (id != 0) {
                                    sb.append(vocab[(int) id]);
                                }
                            }
                            return sb.length() > 0 && sb.charAt(0) == ' '
                                    ? sb.substring(1)
                                    : sb.toString();
                        },
                        new long[] {0, 1});
        StringBuilder out = new StringBuilder();
        for (long id : new long[] {2, 3, 4, 5}) {
            out.append(decoder.add(id));
        }
        assertEquals(" upon a time,", out.toString());
    }
}
