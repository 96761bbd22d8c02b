package dev.djlmetal.zoo.serving;

/** A request that does not follow the schema: answered with a 400 output naming the problem. */
public class BadRequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong with the request
     */
    public BadRequestException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what is wrong with the request
     * @param cause the cause
     */
    public BadRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
