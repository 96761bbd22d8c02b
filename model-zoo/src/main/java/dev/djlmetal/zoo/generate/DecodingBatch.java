package dev.djlmetal.zoo.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.djlmetal.zoo.decoder.ArrayDecoder;
import dev.djlmetal.zoo.decoder.ArraySequence;
import dev.djlmetal.zoo.decoder.CausalLM;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The decoding loop of a batch of sequences stepping together through a causal language model. It
 * knows the model's forward contract and nothing of sampling or stopping, which belong to each
 * {@link SequenceState}. Sequences may join between steps ({@link #add}) and leave when they finish
 * or are cancelled: this is what a continuous batch of concurrent requests needs ({@link
 * ContinuousBatcher}).
 *
 * <p>A {@link #step()} either prefills the sequences that joined since the last step (their
 * prompts, as one left-padded batch on the NDArray path; the first token of each is chosen from the
 * last position's logits) or, when none is waiting, feeds each running sequence its last token.
 * Only last positions' logits are computed.
 *
 * <p>Two paths, chosen when the batch is created:
 *
 * <ul>
 *   <li>the array path, when the model has an {@link ArrayDecoder} (every linear layer on the cpu
 *       backend or in float, no mixture of experts): each sequence keeps its key/value cache in
 *       Java memory ({@link ArraySequence}), and a step runs every running sequence's token in one
 *       pass whatever their lengths, with no padding;
 *   <li>the NDArray path otherwise: one batched cache {@code [B, heads, T, dim]} in the engine,
 *       left padding with an {@code attention_mask}; joining sequences are prefilled apart and
 *       their cache left-padded to the running batch's length (or the running batch's to theirs),
 *       leaving sequences drop their cache rows, and columns that are padding in every row are
 *       trimmed.
 * </ul>
 *
 * <p>Not thread-safe: one thread steps a batch (a sequence may be cancelled from any thread).
 */
public final class DecodingBatch implements AutoCloseable {

    private final Block block;
    private final NDManager manager;
    private final ParameterStore parameters;
    private final ArrayDecoder arrays;
    private final List<SequenceState> pending = new ArrayList<>();
    private final List<SequenceState> rows = new ArrayList<>();
    private final List<ArraySequence> arrayCaches = new ArrayList<>();
    private int[] padding = new int[0];
    private NDList cache = new NDList();
    private long cacheLength;

    /**
     * Creates a batch on the path the model supports (see {@link ArrayDecoders}); sequences that
     * have already finished do not take a row.
     *
     * @param block the causal language model
     * @param parent the parent of the batch's manager (usually the model's manager)
     * @param sequences the first sequences
     */
    public DecodingBatch(Block block, NDManager parent, List<SequenceState> sequences) {
        this(block, parent, ArrayDecoders.of(block), sequences);
    }

    /**
     * Creates a batch on a given path.
     *
     * @param block the causal language model
     * @param parent the parent of the batch's manager (usually the model's manager)
     * @param arrays the array decoder of {@code block}, or null for the NDArray path
     * @param sequences the first sequences
     */
    public DecodingBatch(
            Block block, NDManager parent, ArrayDecoder arrays, List<SequenceState> sequences) {
        this.block = Objects.requireNonNull(block, "block");
        this.manager = parent.newSubManager();
        this.parameters = new ParameterStore(parent, false);
        this.arrays = arrays;
        for (SequenceState sequence : sequences) {
            add(sequence);
        }
    }

    /**
     * Returns whether this batch runs on the array path.
     *
     * @return {@code true} with an {@link ArrayDecoder}, {@code false} on the NDArray path
     */
    public boolean isArrayPath() {
        return arrays != null;
    }

    /**
     * Adds a sequence; it is prefilled at the next step. A finished sequence is ignored.
     *
     * @param sequence the sequence
     */
    public void add(SequenceState sequence) {
        if (!sequence.isDone()) {
            pending.add(sequence);
        }
    }

    /**
     * Returns whether every sequence has finished.
     *
     * @return {@code true} when no sequence is running or waiting
     */
    public boolean isEmpty() {
        return rows.isEmpty() && pending.isEmpty();
    }

    /**
     * Returns the number of sequences running or waiting to be prefilled.
     *
     * @return the size of the batch
     */
    public int size() {
        return rows.size() + pending.size();
    }

    /**
     * Runs one pass: the prompts of the sequences that joined, or else the last token of every
     * running sequence.
     *
     * @throws IllegalStateException when the batch is empty or the model returns logits of an
     *     unexpected shape
     */
    public void step() {
        dropFinished();
        if (isEmpty()) {
            throw new IllegalStateException("Every sequence of the batch has finished");
        }
        if (!pending.isEmpty()) {
            List<SequenceState> joining = new ArrayList<>(pending);
            pending.clear();
            if (arrays != null) {
                prefillArrays(joining);
            } else {
                prefillNDArrays(joining);
            }
        } else if (arrays != null) {
            decodeArrays();
        } else {
            decodeNDArrays();
        }
        dropFinished();
    }

    private void prefillArrays(List<SequenceState> joining) {
        for (SequenceState sequence : joining) {
            ArraySequence cache =
                    arrays.newSequence(sequence.length() + sequence.getConfig().getMaxNewTokens());
            float[] logits;
            try (NDScope ignored = new NDScope();
                    NDManager scope = manager.newSubManager()) {
                logits = arrays.prefill(cache, sequence.getPromptIds(), scope);
            }
            rows.add(sequence);
            arrayCaches.add(cache);
            sequence.accept(logits);
        }
    }

    private void decodeArrays() {
        long[] tokens = new long[rows.size()];
        for (int r = 0; r < tokens.length; r++) {
            tokens[r] = rows.get(r).lastToken();
        }
        float[][] logits;
        try (NDScope ignored = new NDScope();
                NDManager scope = manager.newSubManager()) {
            logits = arrays.step(arrayCaches, tokens, scope);
        }
        for (int r = 0; r < tokens.length; r++) {
            rows.get(r).accept(logits[r]);
        }
    }

    /** Prefills joining sequences as one left-padded batch and merges their cache. */
    private void prefillNDArrays(List<SequenceState> joining) {
        int batch = joining.size();
        int longest = 0;
        for (SequenceState row : joining) {
            longest = Math.max(longest, row.length());
        }
        int[] joinPadding = new int[batch];
        long[] ids = new long[batch * longest];
        for (int r = 0; r < batch; r++) {
            long[] prompt = joining.get(r).getPromptIds();
            joinPadding[r] = longest - prompt.length;
            System.arraycopy(prompt, 0, ids, r * longest + joinPadding[r], prompt.length);
        }
        float[][] logits;
        NDList joinCache;
        try (NDScope ignored = new NDScope();
                NDManager scope = manager.newSubManager()) {
            NDList output = forward(scope, ids, batch, longest, new NDList(), joinPadding, 0);
            logits = lastLogits(output, batch);
            joinCache = keep(output);
        }
        merge(joinCache, joinPadding, longest);
        rows.addAll(joining);
        for (int r = 0; r < batch; r++) {
            joining.get(r).accept(logits[r]);
        }
    }

    private void decodeNDArrays() {
        int batch = rows.size();
        long[] ids = new long[batch];
        for (int r = 0; r < batch; r++) {
            ids[r] = rows.get(r).lastToken();
        }
        float[][] logits;
        try (NDScope ignored = new NDScope();
                NDManager scope = manager.newSubManager()) {
            NDList output = forward(scope, ids, batch, 1, cache, padding, cacheLength);
            logits = lastLogits(output, batch);
            NDList present = keep(output);
            cache.forEach(NDArray::close);
            cache = present;
        }
        cacheLength += 1;
        for (int r = 0; r < batch; r++) {
            rows.get(r).accept(logits[r]);
        }
    }

    private NDList forward(
            NDManager scope,
            long[] ids,
            int batch,
            int seq,
            NDList past,
            int[] rowPadding,
            long pastLength) {
        NDList input = new NDList(past.size() + 2);
        input.add(scope.create(ids, new Shape(batch, seq)));
        input.addAll(past);
        NDArray mask = attentionMask(scope, rowPadding, pastLength + seq);
        if (mask != null) {
            mask.setName(CausalLM.ATTENTION_MASK);
            input.add(mask);
        }
        return block.forward(parameters, input, false, CausalLM.keepLastLogits(1));
    }

    private static float[][] lastLogits(NDList output, int batch) {
        NDArray out = output.get(0);
        Shape shape = out.getShape();
        if (shape.dimension() != 3 || shape.get(0) != batch) {
            throw new IllegalStateException(
                    "The model returned logits of shape "
                            + shape
                            + "; expected ["
                            + batch
                            + ", sequence, vocab]");
        }
        int vocab = (int) shape.get(2);
        float[][] logits = new float[batch][vocab];
        try (NDArray last = out.get(new NDIndex(":, -1, :")).toType(DataType.FLOAT32, false)) {
            float[] flat = last.toFloatArray();
            for (int r = 0; r < batch; r++) {
                System.arraycopy(flat, r * vocab, logits[r], 0, vocab);
            }
        }
        return logits;
    }

    /** The mask of the past and the new positions, or null when no row is padded. */
    private static NDArray attentionMask(NDManager scope, int[] rowPadding, long length) {
        boolean padded = false;
        for (int pad : rowPadding) {
            padded |= pad > 0;
        }
        if (!padded) {
            return null;
        }
        long[] mask = new long[Math.toIntExact(rowPadding.length * length)];
        for (int r = 0; r < rowPadding.length; r++) {
            for (long c = rowPadding[r]; c < length; c++) {
                mask[(int) (r * length + c)] = 1;
            }
        }
        return scope.create(mask, new Shape(rowPadding.length, length));
    }

    /** Moves a forward pass's present cache out of the step's scope into the batch's manager. */
    private NDList keep(NDList output) {
        NDList present = new NDList(output.size() - 1);
        for (int i = 1; i < output.size(); i++) {
            NDArray array = output.get(i);
            NDScope.unregister(array);
            array.attach(manager);
            present.add(array);
        }
        return present;
    }

    /**
     * Appends the rows of a newly prefilled cache to the running one: the shorter of the two is
     * left-padded (with zeros its mask hides) to the longer's length, then rows are concatenated.
     */
    private void merge(NDList joinCache, int[] joinPadding, long joinLength) {
        if (rows.isEmpty()) {
            cache.forEach(NDArray::close);
            cache = joinCache;
            padding = joinPadding;
            cacheLength = joinLength;
            return;
        }
        long length = Math.max(cacheLength, joinLength);
        NDList running = leftPad(cache, length - cacheLength);
        NDList joined = leftPad(joinCache, length - joinLength);
        NDList merged = new NDList(running.size());
        for (int i = 0; i < running.size(); i++) {
            NDArray both = running.get(i).concat(joined.get(i), 0);
            both.attach(manager);
            merged.add(both);
        }
        running.forEach(NDArray::close);
        joined.forEach(NDArray::close);
        cache.forEach(NDArray::close);
        joinCache.forEach(NDArray::close);
        int[] all = new int[padding.length + joinPadding.length];
        for (int r = 0; r < padding.length; r++) {
            all[r] = padding[r] + (int) (length - cacheLength);
        }
        for (int r = 0; r < joinPadding.length; r++) {
            all[padding.length + r] = joinPadding[r] + (int) (length - joinLength);
        }
        cache = merged;
        padding = all;
        cacheLength = length;
    }

    private NDList leftPad(NDList arrays, long extra) {
        NDList out = new NDList(arrays.size());
        for (NDArray array : arrays) {
            if (extra == 0) {
                out.add(array.duplicate());
                continue;
            }
            Shape shape = array.getShape();
            try (NDArray zeros =
                    manager.zeros(
                            new Shape(shape.get(0), shape.get(1), extra, shape.get(3)),
                            array.getDataType())) {
                out.add(zeros.concat(array, 2));
            }
        }
        return out;
    }

    /** Drops finished and cancelled sequences with their cache. */
    private void dropFinished() {
        pending.removeIf(SequenceState::isDone);
        List<Integer> keep = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            if (!rows.get(r).isDone()) {
                keep.add(r);
            }
        }
        if (keep.size() == rows.size()) {
            return;
        }
        List<SequenceState> keptRows = new ArrayList<>();
        for (int r : keep) {
            keptRows.add(rows.get(r));
        }
        if (arrays != null) {
            List<ArraySequence> keptCaches = new ArrayList<>();
            for (int r : keep) {
                keptCaches.add(arrayCaches.get(r));
            }
            arrayCaches.clear();
            arrayCaches.addAll(keptCaches);
        } else {
            dropCacheRows(keep);
        }
        rows.clear();
        rows.addAll(keptRows);
    }

    private void dropCacheRows(List<Integer> keep) {
        if (keep.isEmpty()) {
            cache.forEach(NDArray::close);
            cache = new NDList();
            padding = new int[0];
            cacheLength = 0;
            return;
        }
        int trim = Integer.MAX_VALUE;
        int[] newPadding = new int[keep.size()];
        for (int i = 0; i < keep.size(); i++) {
            newPadding[i] = padding[keep.get(i)];
            trim = Math.min(trim, newPadding[i]);
        }
        NDList kept = new NDList(cache.size());
        for (NDArray array : cache) {
            NDList parts = new NDList(keep.size());
            for (int r : keep) {
                parts.add(array.get(new NDIndex("{}:{}, :, {}:, :", r, r + 1, trim)));
            }
            NDArray joined = parts.get(0);
            if (parts.size() > 1) {
                joined = NDArrays.concat(parts, 0);
                parts.close();
            }
            joined.attach(manager);
            kept.add(joined);
            array.close();
        }
        for (int i = 0; i < newPadding.length; i++) {
            newPadding[i] -= trim;
        }
        cache = kept;
        cacheLength -= trim;
        padding = newPadding;
    }

    /** Closes the cache. The sequences keep their state and result. */
    @Override
    public void close() {
        manager.close();
        arrayCaches.clear();
    }
}
