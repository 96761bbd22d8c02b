package dev.djlmetal.zoo.generate;

/**
 * Receives the tokens of one sequence as they are generated, then its result. Called on the thread
 * that runs the decoding loop; a slow listener slows every sequence of the batch.
 */
public interface TokenListener {

    /**
     * Receives a generated token.
     *
     * @param token the token and the text it released
     */
    void onToken(GeneratedToken token);

    /**
     * Receives the result once the sequence has finished. The text it holds may end with text that
     * no token released (text held back until the end, such as an incomplete character).
     *
     * @param result the result
     */
    default void onFinish(GenerationResult result) {}
}
