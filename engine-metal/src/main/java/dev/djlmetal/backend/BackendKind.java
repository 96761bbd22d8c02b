package dev.djlmetal.backend;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The matmul backends a quantized block can forward through, by their option names. */
public enum BackendKind {
    /**
     * Metal when available, else the fast CPU backend on CPU devices, else the portable backend.
     */
    AUTO("auto"),
    /** The fused {@code affine_qmm_t} Metal kernels on the Apple GPU. */
    METAL("metal"),
    /**
     * The same Metal kernels compiled for and run on the host CPU: for kernel development, slow.
     */
    METAL_EMULATED("metal-emulated"),
    /** Fused dequantize and matmul over packed weights in Java SIMD code (CPU devices). */
    CPU("cpu"),
    /** Dequantize with DJL NDArray operations, then multiply: runs on every DJL device. */
    NDARRAY("ndarray");

    private final String optionName;

    BackendKind(String optionName) {
        this.optionName = optionName;
    }

    /**
     * Returns the name used by the {@code backend} option.
     *
     * @return the option value, for example {@code metal-emulated}
     */
    public String getOptionName() {
        return optionName;
    }

    /**
     * Parses a {@code backend} option value (case-insensitive; {@code portable} is accepted for
     * {@code ndarray}).
     *
     * @param value the option value
     * @return the backend kind
     * @throws IllegalArgumentException naming the value and the allowed values
     */
    public static BackendKind fromOptionName(String value) {
        String name = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        if ("portable".equals(name)) {
            return NDARRAY;
        }
        for (BackendKind kind : values()) {
            if (kind.optionName.equals(name)) {
                return kind;
            }
        }
        throw new IllegalArgumentException(
                "Unsupported backend="
                        + value
                        + "; allowed values: "
                        + Arrays.stream(values())
                                .map(BackendKind::getOptionName)
                                .collect(Collectors.joining(", ")));
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return optionName;
    }
}
