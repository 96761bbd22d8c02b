package dev.djlmetal.zoo.generate;

import ai.djl.nn.Block;
import dev.djlmetal.zoo.decoder.ArrayDecoder;
import dev.djlmetal.zoo.decoder.CausalLM;
import java.util.Map;
import java.util.WeakHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ArrayDecoder} of each model, created once: generation uses it when the model's layers
 * allow it, and the NDArray path otherwise, with one log line saying why. The system property
 * {@value #PROPERTY}{@code =false} keeps every model on the NDArray path.
 */
public final class ArrayDecoders {

    /** The system property that turns the array path off when {@code false}. */
    public static final String PROPERTY = "djlmetal.arrayDecoder";

    private static final Logger logger = LoggerFactory.getLogger(ArrayDecoders.class);
    private static final Map<Block, Object> BY_BLOCK = new WeakHashMap<>();

    private ArrayDecoders() {}

    /**
     * Returns the array decoder of a model block, or null when generation must use the NDArray path
     * (not a {@link CausalLM}, a layer the array path cannot run, or the property off).
     *
     * @param block the model's block
     * @return the decoder, or null
     */
    public static ArrayDecoder of(Block block) {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))
                || !(block instanceof CausalLM)) {
            return null;
        }
        synchronized (BY_BLOCK) {
            Object known = BY_BLOCK.get(block);
            if (known == null) {
                try {
                    known = ArrayDecoder.create((CausalLM) block);
                    logger.debug("Generation decodes on Java arrays");
                } catch (UnsupportedOperationException e) {
                    known = e.getMessage();
                    logger.info("Generation decodes through NDArray operations: {}", known);
                }
                BY_BLOCK.put(block, known);
            }
            return known instanceof ArrayDecoder ? (ArrayDecoder) known : null;
        }
    }
}
