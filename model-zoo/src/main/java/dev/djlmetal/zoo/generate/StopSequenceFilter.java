package dev.djlmetal.zoo.generate;

import java.util.List;

/**
 * Cuts generated text at the first stop sequence and holds back, while streaming, any tail that
 * could still grow into one, so that no part of a stop sequence is ever emitted.
 */
final class StopSequenceFilter {

    private final List<String> stopSequences;
    private final StringBuilder text = new StringBuilder();
    private int emitted;
    private boolean stopped;

    StopSequenceFilter(List<String> stopSequences) {
        this.stopSequences = stopSequences;
    }

    /**
     * Appends newly decoded text and returns the part that is now safe to emit.
     *
     * @param piece the new text
     * @return the text to emit, possibly empty
     */
    String append(String piece) {
        if (stopped) {
            return "";
        }
        text.append(piece);
        int cut = -1;
        for (String stop : stopSequences) {
            int index = text.indexOf(stop, Math.max(0, emitted - stop.length() + 1));
            if (index >= 0 && (cut < 0 || index < cut)) {
                cut = index;
            }
        }
        if (cut >= 0) {
            stopped = true;
            text.setLength(cut);
            return drainTo(Math.max(cut, emitted));
        }
        return drainTo(text.length() - heldBack());
    }

    /**
     * Returns the text held back at the end of the generation.
     *
     * @return the remaining text
     */
    String finish() {
        return drainTo(text.length());
    }

    /**
     * Returns whether a stop sequence was found.
     *
     * @return {@code true} once a stop sequence appeared
     */
    boolean isStopped() {
        return stopped;
    }

    /**
     * Returns the whole text so far, without the stop sequence.
     *
     * @return the text
     */
    String text() {
        return text.toString();
    }

    private int heldBack() {
        int hold = 0;
        for (String stop : stopSequences) {
            int max = Math.min(stop.length() - 1, text.length() - emitted);
            for (int n = max; n > hold; n--) {
                if (stop.startsWith(text.substring(text.length() - n))) {
                    hold = n;
                    break;
                }
            }
        }
        return hold;
    }

    private String drainTo(int end) {
        if (end <= emitted) {
            return "";
        }
        String out = text.substring(emitted, end);
        emitted = end;
        return out;
    }
}
