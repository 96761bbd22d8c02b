package dev.djlmetal.zoo.chat;

import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import java.lang.reflect.Method;
import java.time.ZonedDateTime;
import java.util.Locale;

/**
 * The functions transformers gives chat templates: {@code raise_exception}, {@code strftime_now}.
 */
final class TemplateFunctions {

    private TemplateFunctions() {}

    /**
     * Fails the rendering, as transformers' {@code raise_exception} does.
     *
     * @param message the template's message
     * @return never
     * @throws ChatTemplateException always
     */
    static Object raiseException(String message) {
        throw new ChatTemplateException(message);
    }

    /**
     * Formats the current local time with a Python {@code strftime} format.
     *
     * @param format for example {@code "%d %b %Y"}
     * @return the formatted time
     */
    static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format, Locale.ENGLISH);
    }

    static Method method(String name) {
        try {
            Method method = TemplateFunctions.class.getDeclaredMethod(name, String.class);
            method.setAccessible(true);
            return method;
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }
}
