package dev.djlmetal.zoo.generate;

/** A token chosen by {@link TokenSampler}, with its log-probability. */
public final class ChosenToken {

    private final int id;
    private final float logprob;

    /**
     * Creates a chosen token.
     *
     * @param id the token id
     * @param logprob its natural-log probability under the distribution it was chosen from
     */
    public ChosenToken(int id, float logprob) {
        this.id = id;
        this.logprob = logprob;
    }

    /**
     * Returns the token id.
     *
     * @return the id
     */
    public int getId() {
        return id;
    }

    /**
     * Returns the log-probability of the token under the distribution it was chosen from.
     *
     * @return a value &lt;= 0
     */
    public float getLogprob() {
        return logprob;
    }
}
