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
import dev.djlmetal.zoo.decoder.CausalLM;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The decoding loop of a batch of sequences stepping together through a causal language model: the
 * rows of the batch, their key/value cache and their left padding. It knows the model's forward
 * contract and nothing of sampling or stopping, which belong to each {@link SequenceState}.
 *
 * <p>{@link #prefill()} runs the prompts as one {@code [B, S]} batch, left-padded to the longest
 * with an {@code attention_mask}; every {@link #step()} then feeds each row's last token. Only the
 * last position's logits are computed ({@code logits_to_keep=1}). Rows whose sequence has finished
 * leave the batch between steps (their cache rows are dropped), and cache columns that have become
 * padding in every remaining row are trimmed; without padding no mask is passed.
 *
 * <p>The model's forward contract: input {@code [input_ids INT64 [B, S], past cache (2 arrays per
 * layer, [B, heads, T, dim]), optional attention_mask INT64 [B, T + S]]}; output {@code [logits [B,
 * S', vocab], present cache]}. Each step runs in its own {@link NDScope}; the cache lives in the
 * batch's own manager, closed with the batch.
 */
public final class DecodingBatch implements AutoCloseable {

    private final Block block;
    private final NDManager manager;
    private final ParameterStore parameters;
    private final List<SequenceState> rows = new ArrayList<>();
    private int[] padding;
    private NDList cache = new NDList();
    private long cacheLength;
    private boolean prefilled;

    /**
     * Creates a batch; sequences that have already finished do not take a row.
     *
     * @param block the causal language model
     * @param parent the parent of the batch's manager (usually the model's manager)
     * @param sequences the sequences
     */
    public DecodingBatch(Block block, NDManager parent, List<SequenceState> sequences) {
        this.block = Objects.requireNonNull(block, "block");
        this.manager = parent.newSubManager();
        this.parameters = new ParameterStore(parent, false);
        for (SequenceState sequence : sequences) {
            if (!sequence.isDone()) {
                rows.add(sequence);
            }
        }
    }

    /**
     * Returns whether every sequence has finished.
     *
     * @return {@code true} when the batch has no row left
     */
    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /**
     * Returns the number of sequences still decoding.
     *
     * @return the rows of the batch
     */
    public int size() {
        return rows.size();
    }

    /**
     * Runs one forward pass: the prompts on the first call, then the last token of each row.
     *
     * @throws IllegalStateException when the batch is empty or the model returns logits of an
     *     unexpected shape
     */
    public void step() {
        if (rows.isEmpty()) {
            throw new IllegalStateException("Every sequence of the batch has finished");
        }
        if (!prefilled) {
            prefill();
        } else {
            decode();
        }
    }

    /** Runs the prompts of every row as one left-padded batch. */
    public void prefill() {
        if (prefilled) {
            throw new IllegalStateException("The batch was already prefilled");
        }
        prefilled = true;
        int batch = rows.size();
        int longest = 0;
        for (SequenceState row : rows) {
            longest = Math.max(longest, row.length());
        }
        padding = new int[batch];
        long[] ids = new long[batch * longest];
        for (int r = 0; r < batch; r++) {
            long[] prompt = rows.get(r).getPromptIds();
            padding[r] = longest - prompt.length;
            System.arraycopy(prompt, 0, ids, r * longest + padding[r], prompt.length);
        }
        forward(ids, longest);
    }

    private void decode() {
        long[] ids = new long[rows.size()];
        for (int r = 0; r < ids.length; r++) {
            ids[r] = rows.get(r).lastToken();
        }
        forward(ids, 1);
    }

    private void forward(long[] ids, int seq) {
        int batch = rows.size();
        float[][] logits = new float[batch][];
        try (NDScope ignored = new NDScope();
                NDManager scope = manager.newSubManager()) {
            NDList input = new NDList(cache.size() + 2);
            input.add(scope.create(ids, new Shape(batch, seq)));
            input.addAll(cache);
            NDArray mask = attentionMask(scope, cacheLength + seq);
            if (mask != null) {
                mask.setName(CausalLM.ATTENTION_MASK);
                input.add(mask);
            }
            NDList output = block.forward(parameters, input, false, CausalLM.keepLastLogits(1));
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
            try (NDArray last = out.get(new NDIndex(":, -1, :")).toType(DataType.FLOAT32, false)) {
                float[] flat = last.toFloatArray();
                int vocab = (int) shape.get(2);
                for (int r = 0; r < batch; r++) {
                    float[] row = new float[vocab];
                    System.arraycopy(flat, r * vocab, row, 0, vocab);
                    logits[r] = row;
                }
            }
            keepCache(output);
        }
        cacheLength += seq;
        for (int r = 0; r < batch; r++) {
            rows.get(r).accept(logits[r]);
        }
        dropFinishedRows();
    }

    /** The mask of the past and the new positions, or null when no row is padded. */
    private NDArray attentionMask(NDManager scope, long length) {
        boolean padded = false;
        for (int pad : padding) {
            padded |= pad > 0;
        }
        if (!padded) {
            return null;
        }
        long[] mask = new long[Math.toIntExact(rows.size() * length)];
        for (int r = 0; r < rows.size(); r++) {
            for (long c = padding[r]; c < length; c++) {
                mask[(int) (r * length + c)] = 1;
            }
        }
        return scope.create(mask, new Shape(rows.size(), length));
    }

    private void keepCache(NDList output) {
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
    }

    private void dropFinishedRows() {
        List<Integer> keep = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            if (!rows.get(r).isDone()) {
                keep.add(r);
            }
        }
        if (keep.size() == rows.size()) {
            return;
        }
        if (keep.isEmpty()) {
            rows.clear();
            cache.forEach(NDArray::close);
            cache = new NDList();
            return;
        }
        int trim = Integer.MAX_VALUE;
        int[] newPadding = new int[keep.size()];
        List<SequenceState> newRows = new ArrayList<>();
        for (int i = 0; i < keep.size(); i++) {
            newRows.add(rows.get(keep.get(i)));
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
        rows.clear();
        rows.addAll(newRows);
    }

    /** Closes the cache. The sequences keep their state and result. */
    @Override
    public void close() {
        manager.close();
    }
}
