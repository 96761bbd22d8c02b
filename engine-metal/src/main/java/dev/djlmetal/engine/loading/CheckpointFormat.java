package dev.djlmetal.engine.loading;

import java.util.Arrays;
import java.util.Locale;

/** The checkpoint formats the loader reads and the writer writes. */
public enum CheckpointFormat {
    /** Float weights only (F32, F16 or BF16). */
    FLOAT("float", null),
    /**
     * transformers {@code quant_method: "metal"}: {@code <m>.weight} (U32), {@code <m>.scales},
     * {@code <m>.qbiases}; embeddings stay float.
     */
    TRANSFORMERS("transformers", "qbiases"),
    /**
     * MLX / mlx-lm: {@code <m>.weight} (U32), {@code <m>.scales}, {@code <m>.biases}; embeddings
     * quantized too, per-module overrides in the {@code quantization} block.
     */
    MLX("mlx", "biases");

    private final String optionName;
    private final String biasSuffix;

    CheckpointFormat(String optionName, String biasSuffix) {
        this.optionName = optionName;
        this.biasSuffix = biasSuffix;
    }

    /**
     * Returns the name used by the {@code format} option.
     *
     * @return {@code float}, {@code transformers} or {@code mlx}
     */
    public String getOptionName() {
        return optionName;
    }

    /**
     * Returns the suffix of the quantization bias tensors.
     *
     * @return {@code biases} (MLX), {@code qbiases} (transformers), or null for float
     */
    public String getBiasSuffix() {
        return biasSuffix;
    }

    /**
     * Parses a {@code format} option value (case-insensitive).
     *
     * @param value the value
     * @return the format
     * @throws IllegalArgumentException naming the value and the allowed values
     */
    public static CheckpointFormat fromOptionName(String value) {
        String name = value.trim().toLowerCase(Locale.ROOT);
        for (CheckpointFormat format : values()) {
            if (format.optionName.equals(name)) {
                return format;
            }
        }
        throw new IllegalArgumentException(
                "Unsupported format="
                        + value
                        + "; allowed values: "
                        + Arrays.toString(
                                Arrays.stream(values())
                                        .map(CheckpointFormat::getOptionName)
                                        .toArray()));
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return optionName;
    }
}
