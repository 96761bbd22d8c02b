package dev.djlmetal.backend;

/**
 * Creates one kind of {@link QuantizedMatmul} backend. Implementations are found with {@link
 * java.util.ServiceLoader} ({@code
 * META-INF/services/dev.djlmetal.backend.QuantizedBackendProvider}) and must be cheap to construct:
 * probing the machine happens in {@link #isAvailable()}.
 */
public interface QuantizedBackendProvider {

    /**
     * Returns which backend this provider creates.
     *
     * @return the kind
     */
    BackendKind kind();

    /**
     * Returns whether this backend can run on this machine.
     *
     * @return true when {@link #create(BackendSettings)} will succeed
     */
    boolean isAvailable();

    /**
     * Explains why the backend is not available (for error messages and capability reports).
     *
     * @return a human-readable reason, or an empty string when available
     */
    String unavailableReason();

    /**
     * Creates the backend.
     *
     * @param settings the backend settings
     * @return the backend
     * @throws IllegalStateException when the backend is not available
     */
    QuantizedMatmul create(BackendSettings settings);
}
