package dev.djlmetal.zoo.chat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites the two Jinja expressions that Jinjava parses differently from Jinja, so that the
 * template means what it means in Python:
 *
 * <ul>
 *   <li>{@code not x is defined}: Jinja tests bind tighter than {@code not} ({@code not (x is
 *       defined)}); Jinjava reads {@code (not x) is defined}. Rewritten with parentheses.
 *   <li>{@code items[::-1]}: Jinjava's slices have no step; rewritten {@code (items|reverse)}.
 *   <li>{@code f(name=a|length - 1)}: the value of a keyword argument is a whole expression in
 *       Jinja; Jinjava applies the filter and the operator to the keyword argument. The value is
 *       wrapped in parentheses.
 * </ul>
 *
 * <p>Only the insides of {@code {{ }}} and {@code {% %}} are rewritten; text and comments stay as
 * they are, except for Jinja's {@code lstrip_blocks}, applied here (see {@link #lstrip}).
 */
final class JinjaSyntax {

    private static final Pattern NOT_IS =
            Pattern.compile(
                    "\\bnot\\s+([A-Za-z_][\\w.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]\\w*)");

    private static final Pattern REVERSED =
            Pattern.compile("([A-Za-z_][\\w.]*(?:\\[[^\\]]*\\])*)\\[\\s*:\\s*:\\s*-1\\s*\\]");

    private JinjaSyntax() {}

    /**
     * Rewrites a template.
     *
     * @param source the Jinja source
     * @return the source Jinjava reads as Jinja does
     */
    static String rewrite(String source) {
        StringBuilder out = new StringBuilder(source.length() + 64);
        int i = 0;
        while (i < source.length()) {
            int open = nextTag(source, i);
            if (open < 0) {
                out.append(source, i, source.length());
                break;
            }
            out.append(source, i, open);
            char kind = source.charAt(open + 1);
            if (kind != '{' && (open + 2 >= source.length() || source.charAt(open + 2) != '+')) {
                lstrip(out);
            }
            if (kind == '#') {
                int end = source.indexOf("#}", open + 2);
                int stop = end < 0 ? source.length() : end + 2;
                out.append(source, open, stop);
                i = stop;
                continue;
            }
            out.append(source, open, open + 2);
            String close = kind == '{' ? "}}" : "%}";
            int end = tagEnd(source, open + 2, close);
            if (end < 0) {
                out.append(source, open + 2, source.length());
                break;
            }
            out.append(rewriteExpression(source.substring(open + 2, end)));
            out.append(close);
            i = end + 2;
        }
        return out.toString();
    }

    /**
     * Jinja's {@code lstrip_blocks}: the spaces and tabs between the start of a line and a block or
     * comment tag are removed (Jinjava's own option also strips them after other text).
     */
    private static void lstrip(StringBuilder out) {
        int j = out.length();
        while (j > 0 && (out.charAt(j - 1) == ' ' || out.charAt(j - 1) == '\t')) {
            j--;
        }
        if (j == 0 || out.charAt(j - 1) == '\n') {
            out.setLength(j);
        }
    }

    private static int nextTag(String s, int from) {
        for (int i = from; i < s.length() - 1; i++) {
            if (s.charAt(i) == '{') {
                char c = s.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') {
                    return i;
                }
            }
        }
        return -1;
    }

    /** The start of the closing delimiter, outside string literals. */
    private static int tagEnd(String s, int from, String close) {
        char quote = 0;
        for (int i = from; i < s.length() - 1; i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (s.startsWith(close, i)) {
                return i;
            }
        }
        return -1;
    }

    static String rewriteExpression(String expression) {
        return wrapKeywordValues(wrapNotIs(expression));
    }

    private static String wrapNotIs(String expression) {
        // string literals are left alone: split on them
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < expression.length()) {
            int quoteAt = firstQuote(expression, i);
            String code = expression.substring(i, quoteAt < 0 ? expression.length() : quoteAt);
            Matcher m = NOT_IS.matcher(code);
            String rewritten = m.replaceAll("not ($1 is $2$3)");
            out.append(REVERSED.matcher(rewritten).replaceAll("($1|reverse)"));
            if (quoteAt < 0) {
                break;
            }
            int end = literalEnd(expression, quoteAt);
            out.append(expression, quoteAt, end);
            i = end;
        }
        return out.toString();
    }

    private static int firstQuote(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == '\'' || s.charAt(i) == '"') {
                return i;
            }
        }
        return -1;
    }

    private static int literalEnd(String s, int start) {
        char quote = s.charAt(start);
        for (int i = start + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i + 1;
            }
        }
        return s.length();
    }

    /**
     * Wraps the value of every keyword argument ({@code name=value} inside a call) in parentheses.
     */
    private static String wrapKeywordValues(String expression) {
        StringBuilder out = new StringBuilder();
        int depth = 0;
        int[] openAt = new int[64];
        boolean[] wrapping = new boolean[64];
        int i = 0;
        while (i < expression.length()) {
            char c = expression.charAt(i);
            if (c == '\'' || c == '"') {
                int end = literalEnd(expression, i);
                out.append(expression, i, end);
                i = end;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
                if (depth < openAt.length) {
                    openAt[depth] = c;
                    wrapping[depth] = false;
                }
                out.append(c);
                i++;
                continue;
            }
            if (c == ')' || c == ']' || c == '}' || c == ',') {
                if (depth > 0 && depth < openAt.length && wrapping[depth]) {
                    out.append(')');
                    wrapping[depth] = false;
                }
                if (c != ',') {
                    depth = Math.max(0, depth - 1);
                }
                out.append(c);
                i++;
                continue;
            }
            if (c == '='
                    && depth > 0
                    && depth < openAt.length
                    && openAt[depth] == '('
                    && !wrapping[depth]
                    && isKeyword(expression, i)) {
                out.append("=(");
                wrapping[depth] = true;
                i++;
                continue;
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /** Whether the {@code =} at {@code at} follows a bare name, and is not part of an operator. */
    private static boolean isKeyword(String s, int at) {
        if (at + 1 < s.length() && s.charAt(at + 1) == '=') {
            return false;
        }
        int j = at - 1;
        while (j >= 0 && s.charAt(j) == ' ') {
            j--;
        }
        if (j < 0 || !(Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_')) {
            return false;
        }
        int k = j;
        while (k >= 0 && (Character.isLetterOrDigit(s.charAt(k)) || s.charAt(k) == '_')) {
            k--;
        }
        while (k >= 0 && s.charAt(k) == ' ') {
            k--;
        }
        return k >= 0 && (s.charAt(k) == '(' || s.charAt(k) == ',');
    }
}
