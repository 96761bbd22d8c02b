package dev.djlmetal.backend.ndarray;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.QuantizedBackendProvider;
import dev.djlmetal.backend.QuantizedMatmul;

/** Provides the portable {@link BackendKind#NDARRAY} backend, which is available everywhere. */
public final class NDArrayBackendProvider implements QuantizedBackendProvider {

    /** Creates the provider (used by {@link java.util.ServiceLoader}). */
    public NDArrayBackendProvider() {}

    /** {@inheritDoc} */
    @Override
    public BackendKind kind() {
        return BackendKind.NDARRAY;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isAvailable() {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public String unavailableReason() {
        return "";
    }

    /** {@inheritDoc} */
    @Override
    public QuantizedMatmul create(BackendSettings settings) {
        return new NDArrayQuantizedMatmul(settings);
    }
}
