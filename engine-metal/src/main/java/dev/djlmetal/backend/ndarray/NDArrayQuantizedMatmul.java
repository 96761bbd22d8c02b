package dev.djlmetal.backend.ndarray;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.Objects;

/**
 * The portable backend: {@code x @ dequant(W)^T} computed as a dequantization with NDArray
 * operations followed by the engine's float32 matmul.
 *
 * <p>By default every product dequantizes the weight again into temporaries that are freed before
 * {@link PreparedWeight#apply} returns: memory stays at the packed size, time is spent on
 * dequantizing. With {@link BackendSettings#isCacheDequantized()} each layer keeps its dequantized
 * FLOAT32 weight after the first product instead: {@code N * K * 4} bytes per layer, 8 times the
 * 4-bit packed size, in exchange for plain float matmul speed.
 */
public final class NDArrayQuantizedMatmul implements QuantizedMatmul {

    private final boolean cacheDequantized;

    /**
     * Creates the backend.
     *
     * @param settings the backend settings; only {@link BackendSettings#isCacheDequantized()} is
     *     used
     */
    public NDArrayQuantizedMatmul(BackendSettings settings) {
        this.cacheDequantized = Objects.requireNonNull(settings, "settings").isCacheDequantized();
    }

    /**
     * Returns whether this backend keeps dequantized weights.
     *
     * @return true when every prepared weight caches its FLOAT32 dequantization
     */
    public boolean isCacheDequantized() {
        return cacheDequantized;
    }

    /** {@inheritDoc} */
    @Override
    public BackendKind kind() {
        return BackendKind.NDARRAY;
    }

    /** {@inheritDoc} */
    @Override
    public PreparedWeight prepare(QuantizedTensor weight) {
        Objects.requireNonNull(weight, "weight");
        if (cacheDequantized) {
            return new CachedDequantizedWeight(weight);
        }
        return new DequantizingWeight(weight);
    }
}
