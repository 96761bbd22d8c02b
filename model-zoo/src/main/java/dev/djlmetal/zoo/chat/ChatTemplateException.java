package dev.djlmetal.zoo.chat;

/**
 * A chat template failed: its own {@code raise_exception} (for example roles that do not
 * alternate), or an error of the template language.
 */
public class ChatTemplateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message the message
     */
    public ChatTemplateException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message the message
     * @param cause the cause
     */
    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
