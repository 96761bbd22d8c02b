package dev.djlmetal.zoo.chat;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes values as Python's {@code json.dumps(value, ensure_ascii=False, indent=indent)} does, the
 * {@code tojson} filter of transformers' chat templates: {@code ", "} and {@code ": "} separators
 * without indent, {@code ","} and {@code ": "} with it, keys in insertion order, non-ASCII
 * characters as they are.
 */
final class PythonJson {

    private PythonJson() {}

    /**
     * Writes a value.
     *
     * @param value maps, collections, arrays, strings, numbers, booleans or null
     * @param indent the indent width, or a negative value for a single line
     * @return the JSON text
     */
    static String dumps(Object value, int indent) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, indent, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object value, int indent, int level) {
        if (value == null) {
            sb.append("null");
        } else if (value instanceof Boolean) {
            sb.append((Boolean) value ? "true" : "false");
        } else if (value instanceof Number) {
            sb.append(number((Number) value));
        } else if (value instanceof Map) {
            writeMap(sb, (Map<?, ?>) value, indent, level);
        } else if (value instanceof Collection) {
            writeList(sb, ((Collection<?>) value).iterator(), indent, level);
        } else if (value instanceof Object[]) {
            writeList(sb, java.util.Arrays.asList((Object[]) value).iterator(), indent, level);
        } else {
            string(sb, value.toString());
        }
    }

    private static void writeMap(StringBuilder sb, Map<?, ?> map, int indent, int level) {
        if (map.isEmpty()) {
            sb.append("{}");
            return;
        }
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!first) {
                sb.append(indent >= 0 ? "," : ", ");
            }
            first = false;
            newline(sb, indent, level + 1);
            string(sb, String.valueOf(e.getKey()));
            sb.append(": ");
            write(sb, e.getValue(), indent, level + 1);
        }
        newline(sb, indent, level);
        sb.append('}');
    }

    private static void writeList(StringBuilder sb, Iterator<?> items, int indent, int level) {
        if (!items.hasNext()) {
            sb.append("[]");
            return;
        }
        sb.append('[');
        boolean first = true;
        while (items.hasNext()) {
            if (!first) {
                sb.append(indent >= 0 ? "," : ", ");
            }
            first = false;
            newline(sb, indent, level + 1);
            write(sb, items.next(), indent, level + 1);
        }
        newline(sb, indent, level);
        sb.append(']');
    }

    private static void newline(StringBuilder sb, int indent, int level) {
        if (indent >= 0) {
            sb.append('\n');
            sb.append(" ".repeat(indent * level));
        }
    }

    /** Python's repr of ints and floats. */
    static String number(Number n) {
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d)) {
                return "NaN";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "Infinity" : "-Infinity";
            }
            return pythonFloat(d);
        }
        if (n instanceof BigDecimal) {
            BigDecimal b = (BigDecimal) n;
            return b.scale() <= 0 ? b.toBigInteger().toString() : pythonFloat(b.doubleValue());
        }
        return n.toString();
    }

    /** Python's {@code repr} of a float: shortest digits, scientific below 1e-4 and from 1e16. */
    private static String pythonFloat(double d) {
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        BigDecimal shortest = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        String sign = d < 0 ? "-" : "";
        if (exponent >= -4 && exponent < 16) {
            String plain = shortest.abs().toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa =
                digits.length() > 1 ? digits.charAt(0) + "." + digits.substring(1) : digits;
        return sign
                + mantissa
                + "e"
                + (exponent < 0 ? "-" : "+")
                + String.format(java.util.Locale.ROOT, "%02d", Math.abs(exponent));
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                case '\b':
                    sb.append("\\b");
                    break;
                case '\f':
                    sb.append("\\f");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }
}
