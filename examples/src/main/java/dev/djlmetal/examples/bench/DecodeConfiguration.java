package dev.djlmetal.examples.bench;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.quant.QuantSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The weight formats and backends {@link DecodeBenchmark} compares, by their flag names. */
public enum DecodeConfiguration {
    /** Float32 weights in DJL PyTorch {@code Linear} layers. */
    FLOAT32("float32", null, BackendKind.NDARRAY),
    /** 8-bit codes, group 64, on the fused cpu backend. */
    Q8_CPU("q8-cpu", QuantSpec.of(8, 64), BackendKind.CPU),
    /** 6-bit codes, group 64, on the fused cpu backend. */
    Q6_CPU("q6-cpu", QuantSpec.of(6, 64), BackendKind.CPU),
    /** 5-bit codes, group 64, on the fused cpu backend. */
    Q5_CPU("q5-cpu", QuantSpec.of(5, 64), BackendKind.CPU),
    /** 4-bit codes, group 64, on the fused cpu backend. */
    Q4_CPU("q4-cpu", QuantSpec.of(4, 64), BackendKind.CPU),
    /** 3-bit codes, group 64, on the fused cpu backend. */
    Q3_CPU("q3-cpu", QuantSpec.of(3, 64), BackendKind.CPU),
    /** 4-bit codes, group 64, on the portable backend (dequantize, then multiply). */
    Q4_NDARRAY("q4-ndarray", QuantSpec.of(4, 64), BackendKind.NDARRAY),
    /** 4-bit codes, group 64, on the Metal kernels (Apple Silicon; used by {@link MacReport}). */
    Q4_METAL("q4-metal", QuantSpec.of(4, 64), BackendKind.METAL);

    private final String flagName;
    private final QuantSpec spec;
    private final BackendKind backend;

    DecodeConfiguration(String flagName, QuantSpec spec, BackendKind backend) {
        this.flagName = flagName;
        this.spec = spec;
        this.backend = backend;
    }

    /**
     * Returns the name used on the command line and in the table.
     *
     * @return for example {@code q4-cpu}
     */
    public String getFlagName() {
        return flagName;
    }

    /**
     * Returns the quantization of the weights.
     *
     * @return the spec, or null for float32
     */
    public QuantSpec getSpec() {
        return spec;
    }

    /**
     * Returns the backend the quantized layers run on (unused for float32).
     *
     * @return the backend
     */
    public BackendKind getBackend() {
        return backend;
    }

    /**
     * Parses a flag name.
     *
     * @param name the name
     * @return the configuration
     * @throws IllegalArgumentException naming the value and the allowed ones
     */
    public static DecodeConfiguration fromFlagName(String name) {
        for (DecodeConfiguration c : values()) {
            if (c.flagName.equals(name.trim().toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        throw new IllegalArgumentException(
                "Unknown configuration "
                        + name
                        + "; allowed: "
                        + Arrays.stream(values())
                                .map(DecodeConfiguration::getFlagName)
                                .collect(Collectors.joining(", ")));
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return flagName;
    }
}
