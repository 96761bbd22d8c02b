package dev.djlmetal.zoo.generate;

import java.util.Arrays;
import java.util.function.Function;

/**
 * Turns a growing list of token ids into text pieces for streaming.
 *
 * <p>Decoding token by token breaks byte-fallback tokens (several tokens per UTF-8 character) and
 * decoders that strip or merge spaces. This decoder always decodes a window of whole tokens and
 * emits the new suffix of its text, the approach of Hugging Face text-generation-inference: a piece
 * is released only once its text no longer ends with an incomplete character (U+FFFD).
 */
final class IncrementalDecoder {

    private static final char REPLACEMENT = '\uFFFD';

    private final Function<long[], String> decoder;
    private long[] ids;
    private int size;
    private int prefixOffset;
    private int readOffset;

    /**
     * Creates a decoder that continues after the prompt.
     *
     * @param decoder decodes a sequence of ids to text
     * @param promptIds the ids of the prompt, used as context only
     */
    IncrementalDecoder(Function<long[], String> decoder, long[] promptIds) {
        this.decoder = decoder;
        ids = Arrays.copyOf(promptIds, Math.max(16, promptIds.length * 2));
        size = promptIds.length;
        prefixOffset = Math.max(0, size - 5);
        readOffset = size;
    }

    /**
     * Adds a generated token and returns the text it completes.
     *
     * @param id the token id
     * @return the new text, empty while a character is incomplete
     */
    String add(long id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
        return emit(false);
    }

    /**
     * Returns the text still held back at the end of the generation (an incomplete character is
     * emitted as U+FFFD, as a full decode would show it).
     *
     * @return the remaining text
     */
    String finish() {
        return emit(true);
    }

    private String emit(boolean force) {
        if (readOffset == size) {
            return "";
        }
        String prefixText = decoder.apply(Arrays.copyOfRange(ids, prefixOffset, readOffset));
        String newText = decoder.apply(Arrays.copyOfRange(ids, prefixOffset, size));
        boolean complete = newText.isEmpty() || newText.charAt(newText.length() - 1) != REPLACEMENT;
        if ((complete || force) && newText.length() > prefixText.length()) {
            prefixOffset = readOffset;
            readOffset = size;
            return newText.substring(prefixText.length());
        }
        return "";
    }
}
