package dev.djlmetal.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Advises once per JVM to let PyTorch's OpenMP threads sleep between ops. By default they busy-wait
 * for a while after every parallel op; during decoding, with an op every few microseconds, they
 * never stop spinning and take cores from the cpu backend's own threads (4-bit decode of a
 * 1B-shaped model on two cores ran about 25% faster with {@code OMP_WAIT_POLICY=PASSIVE}). The
 * variable is read when libgomp loads, so a library cannot set it for its own process.
 */
final class OpenMpAdvice {

    /** The OpenMP environment variable. */
    static final String VARIABLE = "OMP_WAIT_POLICY";

    private static final Logger logger = LoggerFactory.getLogger(OpenMpAdvice.class);
    private static final AtomicBoolean GIVEN = new AtomicBoolean();

    private OpenMpAdvice() {}

    /**
     * Returns whether the advice applies to a value of {@value #VARIABLE}.
     *
     * @param value the value, or null when unset
     * @return false only for {@code PASSIVE} (any case)
     */
    static boolean applies(String value) {
        return value == null || !"passive".equalsIgnoreCase(value.trim());
    }

    /** Logs the advice once per JVM when this process runs without a passive wait policy. */
    static void logOnce() {
        if (applies(System.getenv(VARIABLE)) && GIVEN.compareAndSet(false, true)) {
            logger.info(
                    "The cpu backend shares the cores with PyTorch's OpenMP threads, which"
                            + " busy-wait between ops unless the process starts with {}=PASSIVE;"
                            + " set it for faster decoding",
                    VARIABLE);
        }
    }
}
