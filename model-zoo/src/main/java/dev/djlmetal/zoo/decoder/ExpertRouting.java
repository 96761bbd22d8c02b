package dev.djlmetal.zoo.decoder;

/**
 * The top-k routing of a block of tokens to experts, and the order that groups the (token, slot)
 * pairs by expert.
 *
 * <p>Pair {@code p = token * k + slot} is the {@code slot}-th choice of {@code token}. {@link
 * #sortedTokens()} and {@link #sortedExperts()} list the pairs sorted by expert (then by pair), so
 * that each expert's rows are contiguous; {@link #inverse()} maps pair {@code p} to its row in that
 * order.
 */
final class ExpertRouting {

    private final int topK;
    private final long[] sortedTokens;
    private final long[] sortedExperts;
    private final long[] inverse;
    private final float[] weights;

    private ExpertRouting(
            int topK, long[] sortedTokens, long[] sortedExperts, long[] inverse, float[] weights) {
        this.topK = topK;
        this.sortedTokens = sortedTokens;
        this.sortedExperts = sortedExperts;
        this.inverse = inverse;
        this.weights = weights;
    }

    /**
     * Routes tokens: the {@code k} largest probabilities of each token (the lower expert index
     * first among equal ones), renormalized to sum 1 when asked.
     *
     * @param probs the routing probabilities, row-major {@code [tokens, experts]}
     * @param tokens the number of tokens
     * @param experts the number of experts
     * @param k the experts per token
     * @param normalize whether the k weights of a token are divided by their sum
     * @return the routing
     */
    static ExpertRouting topK(float[] probs, int tokens, int experts, int k, boolean normalize) {
        int pairs = tokens * k;
        int[] expertOf = new int[pairs];
        float[] weights = new float[pairs];
        for (int t = 0; t < tokens; t++) {
            int row = t * experts;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    if (isChosen(expertOf, t * k, j, e)) {
                        continue;
                    }
                    if (best < 0 || probs[row + e] > probs[row + best]) {
                        best = e;
                    }
                }
                expertOf[t * k + j] = best;
                weights[t * k + j] = probs[row + best];
            }
            if (normalize) {
                float sum = 0;
                for (int j = 0; j < k; j++) {
                    sum += weights[t * k + j];
                }
                for (int j = 0; j < k; j++) {
                    weights[t * k + j] /= sum;
                }
            }
        }
        // counting sort of the pairs by expert: stable, so pairs keep their order per expert
        int[] start = new int[experts + 1];
        for (int e : expertOf) {
            start[e + 1]++;
        }
        for (int e = 0; e < experts; e++) {
            start[e + 1] += start[e];
        }
        long[] sortedTokens = new long[pairs];
        long[] sortedExperts = new long[pairs];
        long[] inverse = new long[pairs];
        for (int p = 0; p < pairs; p++) {
            int row = start[expertOf[p]]++;
            sortedTokens[row] = p / k;
            sortedExperts[row] = expertOf[p];
            inverse[p] = row;
        }
        return new ExpertRouting(k, sortedTokens, sortedExperts, inverse, weights);
    }

    private static boolean isChosen(int[] expertOf, int base, int count, int expert) {
        for (int j = 0; j < count; j++) {
            if (expertOf[base + j] == expert) {
                return true;
            }
        }
        return false;
    }

    int topK() {
        return topK;
    }

    /** The token of each pair, pairs sorted by expert. */
    long[] sortedTokens() {
        return sortedTokens;
    }

    /** The expert of each pair, pairs sorted by expert. */
    long[] sortedExperts() {
        return sortedExperts;
    }

    /** The row of pair {@code p} in the sorted order. */
    long[] inverse() {
        return inverse;
    }

    /** The routing weight of pair {@code p = token * k + slot}. */
    float[] weights() {
        return weights;
    }
}
