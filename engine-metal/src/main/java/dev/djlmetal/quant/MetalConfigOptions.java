package dev.djlmetal.quant;

import dev.djlmetal.backend.BackendKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Parses DJL Criteria options into a {@link MetalConfig}; see {@link MetalConfig#fromOptions}. */
final class MetalConfigOptions {

    static final String BITS = "bits";
    static final String QUANTIZATION = "quantization";
    static final String DEQUANTIZE = "dequantize";
    static final String BACKEND = "backend";
    static final String[] GROUP_SIZE = {"groupSize", "group_size"};
    static final String[] MODULES_TO_NOT_CONVERT = {
        "modulesToNotConvert", "modules_to_not_convert"
    };
    static final String[] CACHE_DEQUANTIZED = {"cacheDequantized", "cache_dequantized"};
    static final String[] QUANTIZE_EMBEDDINGS = {"quantizeEmbeddings", "quantize_embeddings"};

    private static final List<String> QUANTIZATION_VALUES = List.of("true", "false", "metal");
    private static final List<String> BOOLEAN_VALUES = List.of("true", "false");

    static final Set<String> NAMES = names();

    private MetalConfigOptions() {}

    private static Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        names.add(QUANTIZATION);
        names.add(BITS);
        names.addAll(Arrays.asList(GROUP_SIZE));
        names.addAll(Arrays.asList(MODULES_TO_NOT_CONVERT));
        names.add(DEQUANTIZE);
        names.add(BACKEND);
        names.addAll(Arrays.asList(CACHE_DEQUANTIZED));
        names.addAll(Arrays.asList(QUANTIZE_EMBEDDINGS));
        return Collections.unmodifiableSet(names);
    }

    static boolean requestsQuantization(Map<String, ?> options) {
        if (options == null) {
            return false;
        }
        Object quantization = options.get(QUANTIZATION);
        if (quantization != null) {
            String value = quantization.toString().trim().toLowerCase(Locale.ROOT);
            if (!QUANTIZATION_VALUES.contains(value)) {
                throw unsupported(QUANTIZATION, quantization, QUANTIZATION_VALUES);
            }
            if (!"false".equals(value)) {
                return true;
            }
        }
        return options.get(BITS) != null;
    }

    static MetalConfig parse(Map<String, ?> options) {
        MetalConfig.Builder builder = MetalConfig.builder();
        if (options == null) {
            return builder.build();
        }
        requestsQuantization(options);
        Object bits = options.get(BITS);
        if (bits != null) {
            builder.optBits(parseInt(BITS, bits, QuantSpec.SUPPORTED_BITS));
        }
        String groupSize = spellingOf(options, GROUP_SIZE);
        if (groupSize != null) {
            builder.optGroupSize(
                    parseInt(groupSize, options.get(groupSize), QuantSpec.SUPPORTED_GROUP_SIZES));
        }
        String modules = spellingOf(options, MODULES_TO_NOT_CONVERT);
        if (modules != null) {
            builder.optModulesToNotConvert(parseList(options.get(modules)));
        }
        Object dequantize = options.get(DEQUANTIZE);
        if (dequantize != null) {
            builder.optDequantize(parseBoolean(DEQUANTIZE, dequantize));
        }
        Object backend = options.get(BACKEND);
        if (backend != null) {
            builder.optBackend(
                    backend instanceof BackendKind
                            ? (BackendKind) backend
                            : BackendKind.fromOptionName(backend.toString()));
        }
        String cache = spellingOf(options, CACHE_DEQUANTIZED);
        if (cache != null) {
            builder.optCacheDequantized(parseBoolean(cache, options.get(cache)));
        }
        String embeddings = spellingOf(options, QUANTIZE_EMBEDDINGS);
        if (embeddings != null) {
            builder.optQuantizeEmbeddings(parseBoolean(embeddings, options.get(embeddings)));
        }
        return builder.build();
    }

    /**
     * Returns the spelling under which an option is given, or null; both spellings present with
     * different values fails.
     */
    private static String spellingOf(Map<String, ?> options, String[] spellings) {
        Object first = options.get(spellings[0]);
        Object second = options.get(spellings[1]);
        if (first != null
                && second != null
                && !first.toString().trim().equals(second.toString().trim())) {
            throw new IllegalArgumentException(
                    "Conflicting options "
                            + spellings[0]
                            + "="
                            + first
                            + " and "
                            + spellings[1]
                            + "="
                            + second
                            + "; give only one of them");
        }
        if (first != null) {
            return spellings[0];
        }
        return second != null ? spellings[1] : null;
    }

    static int parseInt(String option, Object value, int[] allowed) {
        int parsed;
        if (value instanceof Number) {
            double d = ((Number) value).doubleValue();
            if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
                throw unsupported(option, value, allowed);
            }
            parsed = (int) d;
        } else {
            try {
                parsed = Integer.parseInt(value.toString().trim());
            } catch (NumberFormatException e) {
                throw unsupported(option, value, allowed);
            }
        }
        if (Arrays.stream(allowed).noneMatch(a -> a == parsed)) {
            throw unsupported(option, value, allowed);
        }
        return parsed;
    }

    static boolean parseBoolean(String option, Object value) {
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        String text = value.toString().trim().toLowerCase(Locale.ROOT);
        if (!BOOLEAN_VALUES.contains(text)) {
            throw unsupported(option, value, BOOLEAN_VALUES);
        }
        return Boolean.parseBoolean(text);
    }

    private static List<String> parseList(Object value) {
        List<String> entries = new ArrayList<>();
        if (value instanceof Collection) {
            for (Object item : (Collection<?>) value) {
                entries.add(String.valueOf(item).trim());
            }
        } else if (value instanceof Object[]) {
            for (Object item : (Object[]) value) {
                entries.add(String.valueOf(item).trim());
            }
        } else {
            String text = value.toString().trim();
            if (text.isEmpty()) {
                return List.of();
            }
            for (String item : text.split(",", -1)) {
                entries.add(item.trim());
            }
        }
        return entries;
    }

    private static IllegalArgumentException unsupported(
            String option, Object value, int[] allowed) {
        return new IllegalArgumentException(
                "Unsupported "
                        + option
                        + "="
                        + value
                        + "; allowed values: "
                        + Arrays.toString(allowed));
    }

    private static IllegalArgumentException unsupported(
            String option, Object value, List<String> allowed) {
        return new IllegalArgumentException(
                "Unsupported " + option + "=" + value + "; allowed values: " + allowed);
    }
}
