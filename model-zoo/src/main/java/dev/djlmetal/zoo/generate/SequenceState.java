package dev.djlmetal.zoo.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The state of one sequence being generated: its settings, random generator, tokens, incremental
 * decoder and stop-sequence filter. It holds no NDArray: the key/value cache of every sequence of a
 * batch lives in the {@link DecodingBatch} that steps it, so that sequences can leave a batch (and,
 * later, join one) without the batch knowing how they sample or stop.
 *
 * <p>The decoding loop calls {@link #accept(float[])} with the sequence's row of next-token logits
 * after every forward pass, until {@link #isDone()}.
 */
public final class SequenceState {

    private final String prompt;
    private final GenerationConfig config;
    private final TokenSampler sampler;
    private final SplittableRandom random;
    private final int promptLength;
    private final IncrementalDecoder decoder;
    private final StopSequenceFilter stopFilter;
    private final TokenListener listener;
    private final StringBuilder output = new StringBuilder();
    private final List<GeneratedToken> tokens = new ArrayList<>();
    private long[] seen;
    private int seenCount;
    private int generated;
    private FinishReason finishReason;
    private volatile GenerationResult result;
    private volatile boolean cancelled;

    /**
     * Creates the state of a sequence.
     *
     * @param prompt the prompt text (for a chat, the rendered template), or null
     * @param promptIds the prompt's token ids
     * @param config the sequence's settings
     * @param tokenizer the tokenizer (for the text of the generated tokens)
     * @param listener receives the tokens and the result; may be null
     * @throws IllegalArgumentException when the prompt has no token
     */
    public SequenceState(
            String prompt,
            long[] promptIds,
            GenerationConfig config,
            LlmTokenizer tokenizer,
            TokenListener listener) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException(
                    "The prompt encodes to no tokens and the tokenizer adds no"
                            + " beginning-of-sequence token: give a non-empty prompt");
        }
        this.prompt = prompt;
        this.config = config;
        this.sampler = new TokenSampler(config);
        Long seed = config.getSeed();
        this.random = seed == null ? new SplittableRandom() : new SplittableRandom(seed);
        this.promptLength = promptIds.length;
        this.seen =
                Arrays.copyOf(promptIds, promptIds.length + Math.min(64, config.getMaxNewTokens()));
        this.seenCount = promptIds.length;
        this.decoder = tokenizer.newDecoder(promptIds);
        this.stopFilter = new StopSequenceFilter(config.getStopSequences());
        this.listener = listener;
        if (config.getMaxNewTokens() == 0) {
            finish(FinishReason.LENGTH);
        }
    }

    /**
     * Returns the prompt's token ids.
     *
     * @return a copy of the ids
     */
    public long[] getPromptIds() {
        return Arrays.copyOf(seen, promptLength);
    }

    /**
     * Returns the number of tokens the model has seen or will see next: prompt and generated.
     *
     * @return the length of the sequence
     */
    public int length() {
        return seenCount;
    }

    /**
     * Returns the last token of the sequence, the input of its next decoding step.
     *
     * @return the token id
     */
    public long lastToken() {
        return seen[seenCount - 1];
    }

    /**
     * Returns the sequence's settings.
     *
     * @return the settings
     */
    public GenerationConfig getConfig() {
        return config;
    }

    /**
     * Returns whether the sequence has finished.
     *
     * @return {@code true} once an end token, a stop sequence or the token limit was reached, or
     *     after {@link #cancel()}
     */
    public boolean isDone() {
        return result != null || cancelled;
    }

    /**
     * Stops the sequence where it is, from any thread: the decoding loop drops it before its next
     * step and releases its cache. A cancelled sequence has no result.
     */
    public void cancel() {
        cancelled = true;
    }

    /**
     * Returns whether the sequence was cancelled before it finished.
     *
     * @return {@code true} after {@link #cancel()} on an unfinished sequence
     */
    public boolean isCancelled() {
        return cancelled && result == null;
    }

    /**
     * Takes the next-token logits of the sequence: chooses a token, emits its text and decides
     * whether the sequence has finished.
     *
     * @param logits the logits over the vocabulary (changed in place by the repetition penalty)
     * @throws IllegalStateException when the sequence has finished
     */
    public void accept(float[] logits) {
        if (cancelled) {
            return;
        }
        if (result != null) {
            throw new IllegalStateException("The sequence has finished");
        }
        ChosenToken chosen = sampler.choose(logits, seen, seenCount, random);
        long id = chosen.getId();
        if (config.getEosTokenIds().contains(id)) {
            emit(new GeneratedToken(id, "", chosen.getLogprob(), true));
            finish(FinishReason.EOS_TOKEN);
            return;
        }
        if (seenCount == seen.length) {
            seen = Arrays.copyOf(seen, seenCount * 2);
        }
        seen[seenCount++] = id;
        generated++;
        String text = stopFilter.append(decoder.add(id));
        output.append(text);
        emit(new GeneratedToken(id, text, chosen.getLogprob(), false));
        if (stopFilter.isStopped()) {
            finish(FinishReason.STOP_SEQUENCE);
        } else if (generated >= config.getMaxNewTokens()) {
            finish(FinishReason.LENGTH);
        }
    }

    /**
     * Returns the result.
     *
     * @return the result
     * @throws IllegalStateException while the sequence has not finished
     */
    public GenerationResult getResult() {
        if (result == null) {
            throw new IllegalStateException("The sequence has not finished");
        }
        return result;
    }

    private void finish(FinishReason reason) {
        if (!stopFilter.isStopped()) {
            output.append(stopFilter.append(decoder.finish()));
            output.append(stopFilter.finish());
        }
        finishReason = reason;
        result =
                new GenerationResult(
                        prompt, promptLength, output.toString(), new ArrayList<>(tokens), reason);
        if (listener != null) {
            listener.onFinish(result);
        }
    }

    private void emit(GeneratedToken token) {
        tokens.add(token);
        if (listener != null) {
            listener.onToken(token);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "SequenceState{length="
                + seenCount
                + ", generated="
                + generated
                + ", finishReason="
                + finishReason
                + '}';
    }
}
