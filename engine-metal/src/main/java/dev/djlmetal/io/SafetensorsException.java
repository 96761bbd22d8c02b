package dev.djlmetal.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A safetensors file, index or checkpoint directory that is malformed, truncated or inconsistent.
 *
 * <p>Every message starts with the path of the offending file, followed by the tensor (when one is
 * involved), the bad value and what is allowed.
 */
public class SafetensorsException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception whose message is {@code "<file>: <detail>"}.
     *
     * @param file the offending file or directory
     * @param detail what is wrong
     */
    public SafetensorsException(Path file, String detail) {
        super(file + ": " + detail);
    }

    /**
     * Creates an exception whose message is {@code "<file>: <detail>"}, with a cause.
     *
     * @param file the offending file or directory
     * @param detail what is wrong
     * @param cause the underlying error
     */
    public SafetensorsException(Path file, String detail, Throwable cause) {
        super(file + ": " + detail, cause);
    }
}
