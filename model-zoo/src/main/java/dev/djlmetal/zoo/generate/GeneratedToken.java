package dev.djlmetal.zoo.generate;

/**
 * One generated token: its id, the text it released and its log-probability.
 *
 * <p>The text is what the token adds to the generated text once decoding makes it safe to show: a
 * token in the middle of a multi-byte character, or one that could begin a stop sequence, releases
 * nothing until a later token completes it, so the texts of all tokens add up to the generated
 * text. An end-of-sequence token is {@linkplain #isSpecial() special} and releases no text.
 */
public final class GeneratedToken {

    private final long id;
    private final String text;
    private final float logprob;
    private final boolean special;

    /**
     * Creates a token.
     *
     * @param id the token id
     * @param text the text it released, possibly empty
     * @param logprob its log-probability under the distribution it was chosen from
     * @param special whether it is an end-of-sequence token
     */
    public GeneratedToken(long id, String text, float logprob, boolean special) {
        this.id = id;
        this.text = text;
        this.logprob = logprob;
        this.special = special;
    }

    /**
     * Returns the token id.
     *
     * @return the id
     */
    public long getId() {
        return id;
    }

    /**
     * Returns the text the token released.
     *
     * @return the text, possibly empty
     */
    public String getText() {
        return text;
    }

    /**
     * Returns the log-probability of the token.
     *
     * @return a value &lt;= 0
     */
    public float getLogprob() {
        return logprob;
    }

    /**
     * Returns whether the token is an end-of-sequence token.
     *
     * @return {@code true} for an end-of-sequence token
     */
    public boolean isSpecial() {
        return special;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "GeneratedToken{id=" + id + ", text='" + text + "', logprob=" + logprob + '}';
    }
}
