package dev.djlmetal.examples;

import dev.djlmetal.backend.BackendKind;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Picocli converters that check quantization flags against the values the engine supports. */
public final class QuantizationOptions {

    /** The bit widths of the affine format. */
    public static final int[] BITS = {2, 3, 4, 5, 6, 8};

    /** The group sizes of the affine format. */
    public static final int[] GROUP_SIZES = {32, 64, 128};

    private QuantizationOptions() {}

    /** Converts {@code --bits}: {@code none}, {@code float} or {@code 0} mean no quantization. */
    public static final class BitsConverter implements ITypeConverter<Integer> {

        /** {@inheritDoc} */
        @Override
        public Integer convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if ("none".equals(v) || "float".equals(v) || "0".equals(v)) {
                return 0;
            }
            return oneOf(v, BITS, "none (or 0), 2, 3, 4, 5, 6, 8");
        }
    }

    /** Converts {@code --group-size}. */
    public static final class GroupSizeConverter implements ITypeConverter<Integer> {

        /** {@inheritDoc} */
        @Override
        public Integer convert(String value) {
            return oneOf(value.trim(), GROUP_SIZES, "32, 64, 128");
        }
    }

    /** Converts {@code --backend}. */
    public static final class BackendConverter implements ITypeConverter<BackendKind> {

        /** {@inheritDoc} */
        @Override
        public BackendKind convert(String value) {
            try {
                return BackendKind.fromOptionName(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    private static int oneOf(String value, int[] allowed, String allowedText) {
        try {
            int v = Integer.parseInt(value);
            for (int a : allowed) {
                if (a == v) {
                    return v;
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new TypeConversionException("'" + value + "' is not one of " + allowedText);
    }
}
