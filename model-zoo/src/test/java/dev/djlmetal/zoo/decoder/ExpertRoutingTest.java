package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** Top-k routing and the expert-sorted order, checked by hand. */
class ExpertRoutingTest {

    /** Three tokens over four experts. */
    private static final float[] PROBS = {
        0.1f, 0.4f, 0.2f, 0.3f, // token 0: experts 1 (0.4), 3 (0.3)
        0.5f, 0.1f, 0.3f, 0.1f, // token 1: experts 0 (0.5), 2 (0.3)
        0.2f, 0.2f, 0.1f, 0.5f // token 2: experts 3 (0.5), 0 (0.2, the lower index of a tie)
    };

    @Test
    void picksTheLargestProbabilitiesAndGroupsThePairsByExpert() {
        ExpertRouting r = ExpertRouting.topK(PROBS, 3, 4, 2, false);
        assertArrayEquals(new float[] {0.4f, 0.3f, 0.5f, 0.3f, 0.5f, 0.2f}, r.weights());
        // pairs (token, expert): p0 (0,1) p1 (0,3) p2 (1,0) p3 (1,2) p4 (2,3) p5 (2,0);
        // by expert: 0 <- p2, p5; 1 <- p0; 2 <- p3; 3 <- p1, p4
        assertArrayEquals(new long[] {0, 0, 1, 2, 3, 3}, r.sortedExperts());
        assertArrayEquals(new long[] {1, 2, 0, 1, 0, 2}, r.sortedTokens());
        assertArrayEquals(new long[] {2, 4, 0, 3, 5, 1}, r.inverse());
    }

    @Test
    void renormalizesTheChosenWeightsWhenAsked() {
        ExpertRouting r = ExpertRouting.topK(PROBS, 3, 4, 2, true);
        float[] w = r.weights();
        assertArrayEquals(
                new float[] {
                    0.4f / (0.4f + 0.3f),
                    0.3f / (0.4f + 0.3f),
                    0.5f / (0.5f + 0.3f),
                    0.3f / (0.5f + 0.3f),
                    0.5f / (0.5f + 0.2f),
                    0.2f / (0.5f + 0.2f)
                },
                w);
    }

    @Test
    void oneExpertPerTokenKeepsItsProbability() {
        ExpertRouting r = ExpertRouting.topK(PROBS, 3, 4, 1, false);
        assertArrayEquals(new float[] {0.4f, 0.5f, 0.5f}, r.weights());
        assertArrayEquals(new long[] {0, 1, 3}, r.sortedExperts());
        assertArrayEquals(new long[] {1, 0, 2}, r.sortedTokens());
    }
}
