package dev.djlmetal.nn;

import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;

/** Prepares a quantized weight with its backend on first use, once, and releases it on close. */
final class LazyPreparedWeight implements AutoCloseable {

    private final QuantizedMatmul backend;
    private final QuantizedTensor weight;
    private volatile PreparedWeight prepared;
    private boolean closed;

    LazyPreparedWeight(QuantizedMatmul backend, QuantizedTensor weight) {
        weight.requireMatrix("A quantized matmul backend");
        this.backend = backend;
        this.weight = weight;
    }

    PreparedWeight get() {
        PreparedWeight p = prepared;
        if (p != null) {
            return p;
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException(
                        "The quantized block over " + weight + " is closed");
            }
            if (prepared == null) {
                prepared = backend.prepare(weight);
            }
            return prepared;
        }
    }

    long extraResidentBytes() {
        PreparedWeight p = prepared;
        return p == null ? 0 : p.extraResidentBytes();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (prepared != null) {
            prepared.close();
            prepared = null;
        }
    }
}
