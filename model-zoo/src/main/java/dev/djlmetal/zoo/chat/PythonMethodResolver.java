package dev.djlmetal.zoo.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Resolves the Python {@code str} and {@code dict} methods that chat templates call, which Jinja
 * (running on Python objects) has and Jinjava (running on Java objects) lacks: {@code startswith},
 * {@code endswith}, {@code strip}, {@code lstrip}, {@code rstrip}, {@code split}, {@code rsplit},
 * {@code upper}, {@code lower}, {@code title}, {@code capitalize}, {@code replace}, {@code find},
 * {@code count}, {@code join}, and {@code items}, {@code keys}, {@code values}, {@code get}. Every
 * other call is left to the next resolver.
 */
final class PythonMethodResolver extends ELResolver {

    /** {@inheritDoc} */
    @Override
    public Object invoke(
            ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String || base instanceof SafeString) {
            result = stringMethod(base.toString(), method.toString(), args);
        } else if (base instanceof Map) {
            result = mapMethod((Map<?, ?>) base, method.toString(), args);
        } else {
            return null;
        }
        if (result == NOT_HANDLED) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object stringMethod(String s, String name, Object[] args) {
        switch (name) {
            case "startswith":
                return matchesAny(args[0], s::startsWith);
            case "endswith":
                return matchesAny(args[0], s::endsWith);
            case "strip":
                return rstrip(lstrip(s, chars(args)), chars(args));
            case "lstrip":
                return lstrip(s, chars(args));
            case "rstrip":
                return rstrip(s, chars(args));
            case "split":
                return split(s, args, false);
            case "rsplit":
                return split(s, args, true);
            case "upper":
                return s.toUpperCase(Locale.ROOT);
            case "lower":
                return s.toLowerCase(Locale.ROOT);
            case "title":
                return title(s);
            case "capitalize":
                return s.isEmpty()
                        ? s
                        : s.substring(0, 1).toUpperCase(Locale.ROOT)
                                + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace":
                return replace(s, args);
            case "find":
                return (long) s.indexOf(String.valueOf(args[0]));
            case "count":
                return count(s, String.valueOf(args[0]));
            case "join":
                return join(s, args[0]);
            default:
                return NOT_HANDLED;
        }
    }

    private static Object mapMethod(Map<?, ?> map, String name, Object[] args) {
        switch (name) {
            case "items":
                return new ArrayList<>(map.entrySet());
            case "keys":
                return new ArrayList<>(map.keySet());
            case "values":
                return new ArrayList<>(map.values());
            case "get":
                if (args.length == 0) {
                    return NOT_HANDLED;
                }
                Object value = map.get(args[0] == null ? null : args[0].toString());
                return value != null || args.length < 2 ? value : args[1];
            default:
                return NOT_HANDLED;
        }
    }

    private static boolean matchesAny(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Collection) {
            for (Object p : (Collection<?>) prefixes) {
                if (test.test(String.valueOf(p))) {
                    return true;
                }
            }
            return false;
        }
        return test.test(String.valueOf(prefixes));
    }

    /** The characters to strip, or null for whitespace. */
    private static String chars(Object[] args) {
        return args.length == 0 || args[0] == null ? null : args[0].toString();
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
    }

    private static String lstrip(String s, String chars) {
        int start = 0;
        while (start < s.length() && strippable(s.charAt(start), chars)) {
            start++;
        }
        return s.substring(start);
    }

    private static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0 && strippable(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(0, end);
    }

    private static List<String> split(String s, Object[] args, boolean fromRight) {
        String sep = args.length > 0 && args[0] != null ? args[0].toString() : null;
        long max = args.length > 1 ? ((Number) args[1]).longValue() : -1;
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            for (String part : s.trim().split("\\s+")) {
                if (!part.isEmpty()) {
                    parts.add(part);
                }
            }
            return parts;
        }
        if (sep.isEmpty()) {
            throw new ChatTemplateException("empty separator");
        }
        if (fromRight) {
            int end = s.length();
            while (max != 0) {
                int at = s.lastIndexOf(sep, end - sep.length());
                if (at < 0) {
                    break;
                }
                parts.add(0, s.substring(at + sep.length(), end));
                end = at;
                max--;
            }
            parts.add(0, s.substring(0, end));
            return parts;
        }
        int start = 0;
        while (max != 0) {
            int at = s.indexOf(sep, start);
            if (at < 0) {
                break;
            }
            parts.add(s.substring(start, at));
            start = at + sep.length();
            max--;
        }
        parts.add(s.substring(start));
        return parts;
    }

    private static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (char c : s.toCharArray()) {
            sb.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return sb.toString();
    }

    private static String replace(String s, Object[] args) {
        String old = String.valueOf(args[0]);
        String replacement = String.valueOf(args[1]);
        long max = args.length > 2 ? ((Number) args[2]).longValue() : -1;
        if (max < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int start = 0;
        while (max-- > 0) {
            int at = s.indexOf(old, start);
            if (at < 0) {
                break;
            }
            sb.append(s, start, at).append(replacement);
            start = at + old.length();
        }
        return sb.append(s.substring(start)).toString();
    }

    private static long count(String s, String part) {
        if (part.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + part.length())) {
            n++;
        }
        return n;
    }

    private static String join(String separator, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable) {
            for (Iterator<?> it = ((Iterable<?>) items).iterator(); it.hasNext(); ) {
                parts.add(String.valueOf(it.next()));
            }
        }
        return String.join(separator, parts);
    }

    /** {@inheritDoc} */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    /** {@inheritDoc} */
    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    /** {@inheritDoc} */
    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // not a property resolver
    }

    /** {@inheritDoc} */
    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return Collections.emptyIterator();
    }

    /** {@inheritDoc} */
    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
