package dev.djlmetal.zoo.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The state of one generation request: its manager, key/value cache, random generator, tokens,
 * incremental decoder and stop-sequence filter. Nothing of it lives in the shared model.
 *
 * <p>The model's forward contract: the input is {@code [input_ids INT64 [1, S]]} followed by the
 * past cache (two arrays per layer); the output is {@code [logits [1, S, vocab]]} followed by the
 * present cache.
 */
final class DecodingSession implements AutoCloseable {

    private final NDManager manager;
    private final GenerationConfig config;
    private final TokenSampler sampler;
    private final SplittableRandom random;
    private final long[] promptIds;
    private final IncrementalDecoder decoder;
    private final StopSequenceFilter stopFilter;
    private final Consumer<String> onText;
    private final StringBuilder output = new StringBuilder();
    private long[] generated = new long[16];
    private int count;
    private NDList cache = new NDList();
    private boolean done;

    DecodingSession(
            NDManager parent,
            GenerationConfig config,
            LlmTokenizer tokenizer,
            long[] promptIds,
            Consumer<String> onText) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException(
                    "The prompt encodes to no tokens and the tokenizer adds no"
                            + " beginning-of-sequence token: give a non-empty prompt");
        }
        this.manager = parent.newSubManager();
        this.config = config;
        this.sampler = new TokenSampler(config);
        Long seed = config.getSeed();
        this.random = seed == null ? new SplittableRandom() : new SplittableRandom(seed);
        this.promptIds = promptIds.clone();
        this.decoder = tokenizer.newDecoder(promptIds);
        this.stopFilter = new StopSequenceFilter(config.getStopSequences());
        this.onText = onText;
        this.done = config.getMaxNewTokens() == 0;
    }

    /**
     * Returns the first forward input: the whole prompt.
     *
     * @param scope the manager of the step's temporary arrays
     * @return the input list
     */
    NDList prefillInput(NDManager scope) {
        NDArray ids = scope.create(promptIds, new Shape(1, promptIds.length));
        return new NDList(ids);
    }

    /**
     * Returns the next forward input: the last token and the cache.
     *
     * @param scope the manager of the step's temporary arrays
     * @return the input list
     */
    NDList nextInput(NDManager scope) {
        NDArray ids = scope.create(new long[] {generated[count - 1]}, new Shape(1, 1));
        NDList input = new NDList(cache.size() + 1);
        input.add(ids);
        input.addAll(cache);
        return input;
    }

    /**
     * Takes a forward output: samples the next token from the last logits row, keeps the present
     * cache in the request's manager (closing the past one) and emits the new text.
     *
     * @param output the forward output
     */
    void accept(NDList output) {
        NDArray logits = output.get(0);
        if (logits.getShape().dimension() != 3 || logits.getShape().get(0) != 1) {
            throw new IllegalStateException(
                    "The model returned logits of shape "
                            + logits.getShape()
                            + "; expected [1, sequence, vocab]");
        }
        float[] row;
        try (NDArray last = logits.get(new NDIndex("0, -1")).toType(DataType.FLOAT32, false)) {
            row = last.toFloatArray();
        }
        NDList present = new NDList(output.size() - 1);
        for (int i = 1; i < output.size(); i++) {
            NDArray array = output.get(i);
            NDScope.unregister(array);
            array.attach(manager);
            present.add(array);
        }
        for (NDArray old : cache) {
            if (present.stream().noneMatch(a -> a == old)) {
                old.close();
            }
        }
        cache = present;

        int token = sampler.sample(row, random);
        if (config.getEosTokenIds().contains((long) token)) {
            done = true;
            return;
        }
        if (count == generated.length) {
            generated = Arrays.copyOf(generated, count * 2);
        }
        generated[count++] = token;
        emit(stopFilter.append(decoder.add(token)));
        if (stopFilter.isStopped() || count >= config.getMaxNewTokens()) {
            done = true;
        }
    }

    /**
     * Returns whether the generation has ended.
     *
     * @return {@code true} once an end token, a stop sequence or the token limit was reached
     */
    boolean isDone() {
        return done;
    }

    /**
     * Flushes the held-back text and returns the whole continuation.
     *
     * @return the generated text, without the prompt and without a stop sequence
     */
    String finish() {
        if (!stopFilter.isStopped()) {
            emit(stopFilter.append(decoder.finish()));
            emit(stopFilter.finish());
        }
        return output.toString();
    }

    /**
     * Returns the generated token ids (an end-of-sequence token is not included).
     *
     * @return the generated ids
     */
    long[] generatedIds() {
        return Arrays.copyOf(generated, count);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        manager.close();
    }

    private void emit(String text) {
        if (!text.isEmpty()) {
            output.append(text);
            if (onText != null) {
                onText.accept(text);
            }
        }
    }
}
