package dev.djlmetal.zoo.generate;

/** Why a sequence stopped generating, with the names of TGI's {@code finish_reason}. */
public enum FinishReason {

    /** It generated {@code max_new_tokens} tokens. */
    LENGTH("length"),
    /** It generated an end-of-sequence token. */
    EOS_TOKEN("eos_token"),
    /** Its text reached a stop sequence. */
    STOP_SEQUENCE("stop_sequence");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    /**
     * Returns the name used in TGI and DJL Serving responses.
     *
     * @return for example {@code eos_token}
     */
    public String getWireName() {
        return wireName;
    }

    /**
     * Returns the name used in OpenAI chat responses.
     *
     * @return {@code length} or {@code stop}
     */
    public String getOpenAiName() {
        return this == LENGTH ? "length" : "stop";
    }
}
