package dev.djlmetal.zoo.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from a row of logits: after the repetition penalty, greedy argmax, or a
 * draw from the temperature softmax after top-k and top-p (nucleus) filtering, in that order (the
 * order of Hugging Face transformers' logits processors and warpers).
 *
 * <p>A sampler holds only the settings; the random generator and the tokens seen belong to the
 * sequence.
 */
public final class TokenSampler {

    private final boolean greedy;
    private final float temperature;
    private final int topK;
    private final float topP;
    private final float repetitionPenalty;

    /**
     * Creates a sampler with the settings of a generation configuration.
     *
     * @param config the configuration
     */
    public TokenSampler(GenerationConfig config) {
        this.greedy = config.isGreedy();
        this.temperature = config.getTemperature();
        this.topK = config.getTopK();
        this.topP = config.getTopP();
        this.repetitionPenalty = config.getRepetitionPenalty();
    }

    /**
     * Chooses a token (without repetition penalty).
     *
     * @param logits the logits over the vocabulary
     * @param random the request's random generator (unused for greedy decoding)
     * @return the token id
     */
    public int sample(float[] logits, SplittableRandom random) {
        return choose(logits, new long[0], 0, random).getId();
    }

    /**
     * Chooses a token after applying the repetition penalty to the tokens seen so far, and returns
     * it with its log-probability under the distribution it was chosen from (the softmax of the
     * penalized logits for greedy decoding; the renormalized temperature, top-k and top-p
     * distribution for sampling).
     *
     * @param logits the logits over the vocabulary; penalized in place
     * @param seen the tokens of the sequence so far (prompt and generated)
     * @param seenCount how many entries of {@code seen} are valid
     * @param random the sequence's random generator (unused for greedy decoding)
     * @return the token and its log-probability
     */
    public ChosenToken choose(float[] logits, long[] seen, int seenCount, SplittableRandom random) {
        if (repetitionPenalty != 1f) {
            applyRepetitionPenalty(logits, seen, seenCount, repetitionPenalty);
        }
        if (greedy) {
            int best = argmax(logits);
            return new ChosenToken(best, logSoftmaxAt(logits, best));
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
        int chosen = kept - 1;
        for (int i = 0; i < kept; i++) {
            cumulative += probs[i];
            if (u < cumulative) {
                chosen = i;
                break;
            }
        }
        return new ChosenToken(order[chosen], (float) Math.log(probs[chosen] / total));
    }

    /**
     * Applies transformers' repetition penalty: the logit of every distinct token of {@code seen}
     * is divided by the penalty when positive and multiplied by it otherwise.
     *
     * @param logits the logits, changed in place
     * @param seen the tokens seen
     * @param seenCount how many entries of {@code seen} are valid
     * @param penalty the penalty (1 = none)
     */
    public static void applyRepetitionPenalty(
            float[] logits, long[] seen, int seenCount, float penalty) {
        boolean[] done = new boolean[logits.length];
        for (int i = 0; i < seenCount; i++) {
            int id = (int) seen[i];
            if (id < 0 || id >= logits.length || done[id]) {
                continue;
            }
            done[id] = true;
            float score = logits[id];
            logits[id] = score < 0 ? score * penalty : score / penalty;
        }
    }

    private static float logSoftmaxAt(float[] logits, int index) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        return (float) (logits[index] - max - Math.log(sum));
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
        if (config.isGreedy()) {
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
