package dev.djlmetal.examples;

import dev.djlmetal.zoo.generate.GeneratedToken;
import dev.djlmetal.zoo.generate.GenerationResult;
import dev.djlmetal.zoo.generate.TokenListener;
import java.util.function.Consumer;

/**
 * A token listener that records when the first and the last token of a generation came, and passes
 * the text on as it is released: what {@link GenerationSpeed} measures, whichever decoding path
 * (Java arrays or NDArray operations) produced the tokens.
 */
public final class TokenTimer implements TokenListener {

    private final Consumer<String> onText;
    private int tokens;
    private long first;
    private long last;
    private int delivered;

    /**
     * Creates a timer.
     *
     * @param onText receives the text pieces in order; may be {@code null}
     */
    public TokenTimer(Consumer<String> onText) {
        this.onText = onText;
    }

    /** {@inheritDoc} */
    @Override
    public void onToken(GeneratedToken token) {
        long now = System.nanoTime();
        if (tokens == 0) {
            first = now;
        }
        last = now;
        tokens++;
        if (onText != null && !token.getText().isEmpty()) {
            delivered += token.getText().length();
            onText.accept(token.getText());
        }
    }

    /** {@inheritDoc} */
    @Override
    public void onFinish(GenerationResult result) {
        if (onText != null && result.getText().length() > delivered) {
            onText.accept(result.getText().substring(delivered));
        }
    }

    /**
     * Returns the number of tokens chosen (one per forward pass, an end token included).
     *
     * @return the token count
     */
    public int getTokens() {
        return tokens;
    }

    /**
     * Returns when the first token was chosen.
     *
     * @return a {@link System#nanoTime()} value, 0 before the first token
     */
    public long getFirst() {
        return first;
    }

    /**
     * Returns when the last token was chosen.
     *
     * @return a {@link System#nanoTime()} value, 0 before the first token
     */
    public long getLast() {
        return last;
    }
}
