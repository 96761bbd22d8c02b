package dev.djlmetal.backend.cpu;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.QuantizedBackendProvider;
import dev.djlmetal.backend.QuantizedMatmul;

/** Provides the {@link BackendKind#CPU cpu} backend; it runs on every JVM (pure Java). */
public final class CpuBackendProvider implements QuantizedBackendProvider {

    /** Creates the provider (used by {@link java.util.ServiceLoader}). */
    public CpuBackendProvider() {}

    /** {@inheritDoc} */
    @Override
    public BackendKind kind() {
        return BackendKind.CPU;
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
        return new CpuQuantizedMatmul(settings);
    }
}
