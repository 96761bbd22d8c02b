package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The key/value cache of one request: 2 arrays per layer in the order {@code key_0, value_0, key_1,
 * value_1, ...}, each {@code [B, kvHeads, T, headDim]}. An immutable view; the arrays are owned by
 * whoever created them (usually the request's NDManager), see {@link #close()}.
 */
public final class KvCache implements AutoCloseable {

    private static final KvCache EMPTY = new KvCache(new NDList());

    private final NDList arrays;

    private KvCache(NDList arrays) {
        this.arrays = arrays;
    }

    /**
     * Returns the empty cache (the first forward pass of a request).
     *
     * @return a cache of length 0
     */
    public static KvCache empty() {
        return EMPTY;
    }

    /**
     * Wraps cache arrays.
     *
     * @param arrays {@code key_0, value_0, ...}, an even number of arrays of equal length
     * @return the cache
     * @throws IllegalArgumentException when the arrays do not form a cache
     */
    public static KvCache of(NDList arrays) {
        if (arrays.size() % 2 != 0) {
            throw new IllegalArgumentException(
                    "A cache holds a key and a value per layer; got " + arrays.size() + " arrays");
        }
        for (NDArray array : arrays) {
            if (array.getShape().dimension() != 4
                    || array.getShape().get(2) != arrays.get(0).getShape().get(2)) {
                throw new IllegalArgumentException(
                        "Cache arrays must be [B, kvHeads, T, headDim] with one T; got "
                                + array.getShape()
                                + " beside "
                                + arrays.get(0).getShape());
            }
        }
        return new KvCache(new NDList(arrays));
    }

    /**
     * Takes the present cache from the output of a forward pass.
     *
     * @param output {@code [logits, key_0, value_0, ...]}
     * @return the cache of the outputs after the logits
     */
    public static KvCache fromOutput(NDList output) {
        return of(output.subNDList(1));
    }

    /**
     * Returns the number of cached positions.
     *
     * @return T, 0 for the empty cache
     */
    public long length() {
        return arrays.isEmpty() ? 0 : arrays.get(0).getShape().get(2);
    }

    /**
     * Returns the number of layers in the cache.
     *
     * @return L, 0 for the empty cache
     */
    public int layers() {
        return arrays.size() / 2;
    }

    /**
     * Returns the cached keys of one layer.
     *
     * @param layer the layer index
     * @return {@code [B, kvHeads, T, headDim]}
     */
    public NDArray key(int layer) {
        return arrays.get(2 * layer);
    }

    /**
     * Returns the cached values of one layer.
     *
     * @param layer the layer index
     * @return {@code [B, kvHeads, T, headDim]}
     */
    public NDArray value(int layer) {
        return arrays.get(2 * layer + 1);
    }

    /**
     * Returns the arrays in forward-contract order.
     *
     * @return a new NDList {@code key_0, value_0, ...}
     */
    public NDList arrays() {
        return new NDList(arrays);
    }

    /** Closes the cached arrays (for callers that own them outside an NDManager scope). */
    @Override
    public void close() {
        arrays.forEach(NDArray::close);
    }
}
