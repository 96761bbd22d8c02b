package dev.djlmetal.backend.metal;

/**
 * A failure reported by a Metal device: a library that does not compile, a missing kernel function,
 * a command buffer that ended in error.
 */
public class MetalException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what failed, including the device's own error text when there is one
     */
    public MetalException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a cause.
     *
     * @param message what failed
     * @param cause the underlying failure
     */
    public MetalException(String message, Throwable cause) {
        super(message, cause);
    }
}
