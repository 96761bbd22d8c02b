package dev.djlmetal.zoo.decoder;

import java.util.Arrays;

/**
 * The key/value cache of one sequence decoded by an {@link ArrayDecoder}, in Java memory: per layer
 * and key/value head, the keys dimension-major ({@code keys[(h * headDim + d) * capacity + slot]},
 * so that the scores of consecutive positions fill vector lanes) and the values position-major
 * ({@code values[(h * capacity + slot) * headDim + d]}).
 *
 * <p>Full-attention layers keep every position and grow by doubling. Sliding-window layers keep
 * only the last {@code window} positions in a ring ({@code slot = position % window}): attention is
 * a weighted sum, so the order of the slots does not matter, and rotary positions were applied
 * before the keys were stored. Memory therefore grows with the context only on full layers.
 *
 * <p>Not thread-safe: a sequence belongs to one decoding loop at a time.
 */
public final class ArraySequence {

    /** Floats in a 64-byte cache line. */
    private static final int FLOATS_PER_LINE = 16;

    private final int kvHeads;
    private final int headDim;
    private final int[] windows;
    private final float[][] keys;
    private final float[][] values;
    private final int[] capacity;
    private int length;

    ArraySequence(int layers, int kvHeads, int headDim, int[] windows, int initialCapacity) {
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.windows = windows.clone();
        this.keys = new float[layers][];
        this.values = new float[layers][];
        this.capacity = new int[layers];
        for (int layer = 0; layer < layers; layer++) {
            int slots =
                    windows[layer] > 0
                            ? Math.min(windows[layer], initialCapacity)
                            : initialCapacity;
            allocate(layer, Math.max(1, slots));
        }
    }

    private void allocate(int layer, int wanted) {
        int slots = paddedSlots(wanted);
        capacity[layer] = slots;
        keys[layer] = new float[kvHeads * headDim * slots];
        values[layer] = new float[kvHeads * slots * headDim];
    }

    /**
     * Rounds a slot count up to an odd number of 64-byte cache lines of floats. Attention reads the
     * dimension-major keys of one head as {@code headDim} streams, one per row: with a row length
     * that is a multiple of 4 KB (doubling makes it a power of two) all of them fall into the same
     * set of the L1 cache and evict one another on every line; an odd number of lines spreads them
     * over every set.
     */
    static int paddedSlots(int slots) {
        int lines = (slots + FLOATS_PER_LINE - 1) / FLOATS_PER_LINE;
        if (lines % 2 == 0) {
            lines++;
        }
        return lines * FLOATS_PER_LINE;
    }

    /**
     * Returns the number of positions decoded so far (the position of the next token).
     *
     * @return the length of the sequence in the cache
     */
    public int length() {
        return length;
    }

    /**
     * Returns the bytes of cache memory this sequence holds.
     *
     * @return the size of its key and value arrays
     */
    public long cacheBytes() {
        long floats = 0;
        for (int layer = 0; layer < keys.length; layer++) {
            floats += keys[layer].length + values[layer].length;
        }
        return floats * 4;
    }

    /** Returns the number of slots a layer attends over once position {@code length} is stored. */
    int visible(int layer, int positions) {
        return windows[layer] > 0 ? Math.min(positions, windows[layer]) : positions;
    }

    int window(int layer) {
        return windows[layer];
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    int capacity(int layer) {
        return capacity[layer];
    }

    /** Makes room for positions up to {@code positions - 1} on every full-attention layer. */
    void ensureCapacity(int positions) {
        for (int layer = 0; layer < keys.length; layer++) {
            int needed = windows[layer] > 0 ? Math.min(positions, windows[layer]) : positions;
            if (needed > capacity[layer]) {
                int old = capacity[layer];
                float[] oldKeys = keys[layer];
                float[] oldValues = values[layer];
                allocate(
                        layer,
                        windows[layer] > 0
                                ? Math.min(windows[layer], Math.max(needed, 2 * old))
                                : Math.max(needed, 2 * old));
                int slots = capacity[layer];
                // a ring is only grown before it wraps, so its slots keep their positions
                for (int row = 0; row < kvHeads * headDim; row++) {
                    System.arraycopy(oldKeys, row * old, keys[layer], row * slots, old);
                }
                for (int h = 0; h < kvHeads; h++) {
                    System.arraycopy(
                            oldValues,
                            h * old * headDim,
                            values[layer],
                            h * slots * headDim,
                            old * headDim);
                }
            }
        }
    }

    /** Returns the slot of a position in a layer's cache. */
    int slot(int layer, int position) {
        return windows[layer] > 0 ? position % windows[layer] : position;
    }

    /**
     * Stores the key and value of one position of one layer.
     *
     * @param layer the layer
     * @param position the position
     * @param key {@code kvHeads * headDim} values at {@code keyOffset}
     * @param keyOffset where the key starts
     * @param value {@code kvHeads * headDim} values at {@code valueOffset}
     * @param valueOffset where the value starts
     */
    void store(
            int layer, int position, float[] key, int keyOffset, float[] value, int valueOffset) {
        int slots = capacity[layer];
        int slot = slot(layer, position);
        float[] k = keys[layer];
        float[] v = values[layer];
        for (int h = 0; h < kvHeads; h++) {
            for (int d = 0; d < headDim; d++) {
                k[(h * headDim + d) * slots + slot] = key[keyOffset + h * headDim + d];
            }
            System.arraycopy(
                    value, valueOffset + h * headDim, v, (h * slots + slot) * headDim, headDim);
        }
    }

    /** Advances the length after every layer stored its position. */
    void advance(int positions) {
        length += positions;
    }

    @Override
    public String toString() {
        return "ArraySequence[length=" + length + ", windows=" + Arrays.toString(windows) + "]";
    }
}
