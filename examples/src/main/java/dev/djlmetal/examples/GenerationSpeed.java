package dev.djlmetal.examples;

import java.util.Locale;

/**
 * Prefill and decode speeds of one generation. Prefill is the time to the first token (prompt
 * tokenization, the forward pass over the prompt and the first sampling) over the prompt tokens;
 * decode is the time from the second forward pass to the end over the tokens it produced. The
 * command line measures after a short warm-up generation, so one-time costs (the backend's weight
 * preparation, JIT compilation) are not counted.
 */
public final class GenerationSpeed {

    private final int promptTokens;
    private final double prefillSeconds;
    private final int decodeTokens;
    private final double decodeSeconds;

    /**
     * Creates the speeds.
     *
     * @param promptTokens the prompt tokens
     * @param prefillSeconds the time to the first token
     * @param decodeTokens the tokens produced after the first one
     * @param decodeSeconds the time they took
     */
    public GenerationSpeed(
            int promptTokens, double prefillSeconds, int decodeTokens, double decodeSeconds) {
        this.promptTokens = promptTokens;
        this.prefillSeconds = prefillSeconds;
        this.decodeTokens = decodeTokens;
        this.decodeSeconds = decodeSeconds;
    }

    /**
     * Measures a generation from the token times a {@link TokenTimer} saw: prefill until the first
     * token, decode from the first token to the last.
     *
     * @param timer the listener of the generation
     * @param promptTokens the prompt tokens
     * @param start when the generation started ({@link System#nanoTime()})
     * @param end when it ended ({@link System#nanoTime()})
     * @return the speeds
     */
    public static GenerationSpeed measure(
            TokenTimer timer, int promptTokens, long start, long end) {
        if (timer.getTokens() <= 1) {
            return new GenerationSpeed(promptTokens, (end - start) / 1e9, 0, 0);
        }
        return new GenerationSpeed(
                promptTokens,
                (timer.getFirst() - start) / 1e9,
                timer.getTokens() - 1,
                (timer.getLast() - timer.getFirst()) / 1e9);
    }

    /**
     * Returns the prompt tokens per second of the prefill.
     *
     * @return tokens/s, or NaN when nothing was measured
     */
    public double prefillTokensPerSecond() {
        return prefillSeconds > 0 ? promptTokens / prefillSeconds : Double.NaN;
    }

    /**
     * Returns the generated tokens per second of the decode.
     *
     * @return tokens/s, or NaN when there was no decode step
     */
    public double decodeTokensPerSecond() {
        return decodeSeconds > 0 && decodeTokens > 0 ? decodeTokens / decodeSeconds : Double.NaN;
    }

    /**
     * Describes the prefill.
     *
     * @return for example {@code 12 tokens in 0.021 s = 571.4 tokens/s}
     */
    public String describePrefill() {
        return describe(promptTokens, prefillSeconds);
    }

    /**
     * Describes the decode.
     *
     * @return for example {@code 63 tokens in 0.480 s = 131.3 tokens/s}
     */
    public String describeDecode() {
        return describe(decodeTokens, decodeSeconds);
    }

    private static String describe(int tokens, double seconds) {
        if (tokens == 0 || seconds <= 0) {
            return tokens + " tokens (not measured)";
        }
        return String.format(
                Locale.ROOT,
                "%d tokens in %.3f s = %.1f tokens/s",
                tokens,
                seconds,
                tokens / seconds);
    }
}
