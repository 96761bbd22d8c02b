package dev.djlmetal.zoo.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from a row of logits: greedy argmax, or a draw from the temperature
 * softmax after top-k and top-p (nucleus) filtering, in that order (the order of Hugging Face
 * transformers).
 *
 * <p>A sampler holds only the settings; the random generator belongs to the request.
 */
public final class TokenSampler {

    private final float temperature;
    private final int topK;
    private final float topP;

    /**
     * Creates a sampler with the settings of a generation configuration.
     *
     * @param config the configuration
     */
    public TokenSampler(GenerationConfig config) {
        this.temperature = config.getTemperature();
        this.topK = config.getTopK();
        this.topP = config.getTopP();
    }

    /**
     * Chooses a token.
     *
     * @param logits the logits over the vocabulary
     * @param random the request's random generator (unused for greedy decoding)
     * @return the token id
     */
    public int sample(float[] logits, SplittableRandom random) {
        if (temperature == 0f) {
            return argmax(logits);
        }
        int[] order = sortedDescending(logits);
        int kept = topK > 0 ? Math.min(topK, order.length) : order.length;
        double[] probs = softmax(logits, order, kept, temperature);
        kept = nucleusSize(probs, kept, topP);
        double total = 0;
        for (int i = 0; i < kept; i++) {
            total += probs[i];
        }
        double u = random.nextDouble() * total;
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += probs[i];
            if (u < cumulative) {
                return order[i];
            }
        }
        return order[kept - 1];
    }

    /**
     * Returns the index of the largest value; the lowest index wins a tie.
     *
     * @param logits the values
     * @return the index of the largest value
     */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Returns the probabilities, in descending order, that sampling with the given settings assigns
     * to the tokens it may choose: softmax at the temperature over the top-k tokens, restricted to
     * the nucleus and renormalized.
     *
     * @param logits the logits
     * @param config the settings (temperature must be &gt; 0)
     * @return pairs of token id and probability, most likely first
     */
    public static double[][] distribution(float[] logits, GenerationConfig config) {
        if (config.getTemperature() == 0f) {
            throw new IllegalArgumentException("Greedy decoding has no distribution");
        }
        int[] order = sortedDescending(logits);
        int kept = config.getTopK() > 0 ? Math.min(config.getTopK(), order.length) : order.length;
        double[] probs = softmax(logits, order, kept, config.getTemperature());
        kept = nucleusSize(probs, kept, config.getTopP());
        double total = 0;
        for (int i = 0; i < kept; i++) {
            total += probs[i];
        }
        double[][] result = new double[kept][];
        for (int i = 0; i < kept; i++) {
            result[i] = new double[] {order[i], probs[i] / total};
        }
        return result;
    }

    private static int[] sortedDescending(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
            keys[i] = ((long) ~sortable << 32) | i;
        }
        Arrays.sort(keys);
        int[] order = new int[logits.length];
        for (int i = 0; i < keys.length; i++) {
            order[i] = (int) keys[i];
        }
        return order;
    }

    private static double[] softmax(float[] logits, int[] order, int kept, float temperature) {
        double max = logits[order[0]] / (double) temperature;
        double[] probs = new double[kept];
        double sum = 0;
        for (int i = 0; i < kept; i++) {
            probs[i] = Math.exp(logits[order[i]] / (double) temperature - max);
            sum += probs[i];
        }
        for (int i = 0; i < kept; i++) {
            probs[i] /= sum;
        }
        return probs;
    }

    private static int nucleusSize(double[] probs, int kept, float topP) {
        if (topP >= 1f) {
            return kept;
        }
        double cumulative = 0;
        for (int i = 0; i < kept; i++) {
            cumulative += probs[i];
            if (cumulative >= topP) {
                return i + 1;
            }
        }
        return kept;
    }
}
