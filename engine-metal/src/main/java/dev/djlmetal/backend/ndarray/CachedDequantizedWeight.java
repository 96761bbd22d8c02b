package dev.djlmetal.backend.ndarray;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.quant.QuantizedTensor;

/**
 * A prepared weight that dequantizes once, on the first product, and keeps the FLOAT32 matrix in
 * its own {@link NDManager} until {@link #close()}: {@code N * K * 4} bytes per layer (8 times the
 * 4-bit packed size) buy plain float matmul speed.
 */
final class CachedDequantizedWeight implements PreparedWeight {

    private final QuantizedTensor weight;
    private final Object lock = new Object();
    private volatile NDArray cached;
    private NDManager cacheManager;
    private boolean closed;

    CachedDequantizedWeight(QuantizedTensor weight) {
        this.weight = weight;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray apply(NDArray x) {
        FloatProducts.checkInput(x, weight);
        NDArray w32 = dequantized();
        try (NDScope scope = new NDScope()) {
            NDArray y = FloatProducts.multiply(x, w32);
            y.attach(x.getManager());
            NDScope.unregister(y);
            scope.suppressNotUsedWarning();
            return y;
        }
    }

    private NDArray dequantized() {
        NDArray w = cached;
        if (w != null) {
            return w;
        }
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("The prepared weight " + weight + " is closed");
            }
            if (cached == null) {
                NDManager manager = weight.packed().getManager().newSubManager();
                try (NDScope scope = new NDScope()) {
                    NDArray w32 = FloatProducts.dequantizeFloat32(weight);
                    w32.attach(manager);
                    NDScope.unregister(w32);
                    scope.suppressNotUsedWarning();
                    cacheManager = manager;
                    cached = w32;
                } catch (RuntimeException e) {
                    manager.close();
                    throw e;
                }
            }
            return cached;
        }
    }

    /**
     * Returns the size of the cached FLOAT32 weight: {@code N * K * 4} bytes once the first product
     * has run, 0 before.
     *
     * @return the cached bytes
     */
    @Override
    public long extraResidentBytes() {
        NDArray w = cached;
        return w == null ? 0 : w.size() * 4;
    }

    /** Frees the cached dequantized weight; the quantized tensor stays open. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            cached = null;
            if (cacheManager != null) {
                cacheManager.close();
                cacheManager = null;
            }
        }
    }
}
