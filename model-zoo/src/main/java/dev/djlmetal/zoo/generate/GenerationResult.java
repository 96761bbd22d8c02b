package dev.djlmetal.zoo.generate;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/** The outcome of one generated sequence. */
public final class GenerationResult {

    private final String prompt;
    private final int promptTokenCount;
    private final String text;
    private final List<GeneratedToken> tokens;
    private final FinishReason finishReason;

    /**
     * Creates a result.
     *
     * @param prompt the prompt text (for a chat, the rendered chat template)
     * @param promptTokenCount the number of prompt tokens
     * @param text the generated text, without the prompt and without a stop sequence
     * @param tokens the generated tokens, an end-of-sequence token included
     * @param finishReason why the generation ended
     */
    public GenerationResult(
            String prompt,
            int promptTokenCount,
            String text,
            List<GeneratedToken> tokens,
            FinishReason finishReason) {
        this.prompt = prompt;
        this.promptTokenCount = promptTokenCount;
        this.text = Objects.requireNonNull(text, "text");
        this.tokens = Collections.unmodifiableList(tokens);
        this.finishReason = Objects.requireNonNull(finishReason, "finishReason");
    }

    /**
     * Returns the prompt text; for a chat, the rendered chat template.
     *
     * @return the prompt, or null when the request gave token ids
     */
    public String getPrompt() {
        return prompt;
    }

    /**
     * Returns the number of prompt tokens.
     *
     * @return the count
     */
    public int getPromptTokenCount() {
        return promptTokenCount;
    }

    /**
     * Returns the generated text, without the prompt and without a stop sequence.
     *
     * @return the text
     */
    public String getText() {
        return text;
    }

    /**
     * Returns the generated tokens, an end-of-sequence token included.
     *
     * @return the tokens
     */
    public List<GeneratedToken> getTokens() {
        return tokens;
    }

    /**
     * Returns the ids of the generated tokens, without an end-of-sequence token.
     *
     * @return the ids
     */
    public long[] getTokenIds() {
        return tokens.stream()
                .filter(t -> !t.isSpecial())
                .mapToLong(GeneratedToken::getId)
                .toArray();
    }

    /**
     * Returns why the generation ended.
     *
     * @return the reason
     */
    public FinishReason getFinishReason() {
        return finishReason;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "GenerationResult{text='"
                + text
                + "', tokens="
                + Arrays.toString(getTokenIds())
                + ", finishReason="
                + finishReason
                + '}';
    }
}
