package dev.djlmetal.zoo.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {

    private static final float[] LOGITS = {0.5f, 2.0f, -1.0f, 1.5f, 2.0f, 0.0f};

    @Test
    void greedyPicksArgmaxAndFirstOnTies() {
        GenerationConfig config = GenerationConfig.builder().build();
        TokenSampler sampler = new TokenSampler(config);
        assertEquals(1, sampler.sample(LOGITS, new SplittableRandom(1)));
        assertEquals(2, sampler.sample(new float[] {-3f, -2f, 7f, 6.9f}, null));
    }

    @Test
    void topKOneEqualsGreedy() {
        GenerationConfig config =
                GenerationConfig.builder()
                        .optDoSample(true)
                        .optTemperature(1.3f)
                        .optTopK(1)
                        .build();
        TokenSampler sampler = new TokenSampler(config);
        SplittableRandom random = new SplittableRandom(7);
        float[] logits = new float[100];
        SplittableRandom values = new SplittableRandom(3);
        for (int trial = 0; trial < 50; trial++) {
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) values.nextGaussian();
            }
            assertEquals(TokenSampler.argmax(logits), sampler.sample(logits, random));
        }
    }

    @Test
    void topPKeepsSmallestSetWithEnoughMass() {
        // probabilities 0.5, 0.25, 0.15, 0.1 as log values (temperature 1)
        float[] logits = {
            (float) Math.log(0.15),
            (float) Math.log(0.5),
            (float) Math.log(0.1),
            (float) Math.log(0.25)
        };
        GenerationConfig p70 =
                GenerationConfig.builder()
                        .optDoSample(true)
                        .optTemperature(1f)
                        .optTopP(0.7f)
                        .build();
        double[][] dist = TokenSampler.distribution(logits, p70);
        // 0.5 < 0.7 <= 0.5 + 0.25: the two most likely tokens, renormalized
        assertEquals(2, dist.length);
        assertEquals(1, (int) dist[0][0]);
        assertEquals(3, (int) dist[1][0]);
        assertEquals(0.5 / 0.75, dist[0][1], 1e-6);
        assertEquals(0.25 / 0.75, dist[1][1], 1e-6);

        GenerationConfig p75 =
                GenerationConfig.builder()
                        .optDoSample(true)
                        .optTemperature(1f)
                        .optTopP(0.75f)
                        .build();
        assertEquals(2, TokenSampler.distribution(logits, p75).length);
        GenerationConfig p76 =
                GenerationConfig.builder()
                        .optDoSample(true)
                        .optTemperature(1f)
                        .optTopP(0.76f)
                        .build();
        assertEquals(3, TokenSampler.distribution(logits, p76).length);
        GenerationConfig p40 =
                GenerationConfig.builder()
                        .optDoSample(true)
                        .optTemperature(1f)
                        .optTopP(0.4f)
                        .build();
        assertEquals(1, TokenSampler.distribution(logits, p40).length);
    }

    @Test
    void topKThenTopPAndTemperature() {
        float[] logits = {1f, 3f, 2f, 0f};
        GenerationConfig config =
                GenerationConfig.builder().optDoSample(true).optTemperature(2f).optTopK(3).build();
        double[][] dist = TokenSampler.distribution(logits, config);
        double z = Math.exp(1.5) + Math.exp(1.0) + Math.exp(0.5);
        assertEquals(3, dist.length);
        assertEquals(1, (int) dist[0][0]);
        assertEquals(Math.exp(1.5) / z, dist[0][1], 1e-9);
        assertEquals(2, (int) dist[1][0]);
        assertEquals(Math.exp(1.0) / z, dist[1][1], 1e-9);
        assertEquals(0, (int) dist[2][0]);
        assertEquals(Math.exp(0.5) / z, dist[2][1], 1e-9);
    }

    @Test
    void samplingFollowsTheDistribution() {
        float[] logits = {0f, (float) Math.log(3), (float) Math.log(6), -50f};
        GenerationConfig config =
                GenerationConfig.builder().optDoSample(true).optTemperature(1f).build();
        TokenSampler sampler = new TokenSampler(config);
        SplittableRandom random = new SplittableRandom(42);
        int[] counts = new int[4];
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            counts[sampler.sample(logits, random)]++;
        }
        assertEquals(0.1, counts[0] / (double) n, 0.01);
        assertEquals(0.3, counts[1] / (double) n, 0.01);
        assertEquals(0.6, counts[2] / (double) n, 0.01);
        assertTrue(counts[3] < 5);
    }

    @Test
    void sameSeedSameTokens() {
        GenerationConfig config =
                GenerationConfig.builder()
                        .optDoSample(true)
                        .optTemperature(0.9f)
                        .optTopP(0.95f)
                        .build();
        TokenSampler sampler = new TokenSampler(config);
        float[] logits = new float[50];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i);
        }
        int[] first = draw(sampler, logits, new SplittableRandom(123));
        int[] second = draw(sampler, logits, new SplittableRandom(123));
        int[] other = draw(sampler, logits, new SplittableRandom(124));
        assertArrayEquals(first, second);
        assertTrue(!java.util.Arrays.equals(first, other));
    }

    private static int[] draw(TokenSampler sampler, float[] logits, SplittableRandom random) {
        int[] tokens = new int[40];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = sampler.sample(logits, random);
        }
        return tokens;
    }

    @Test
    void repetitionPenaltyIsTransformers() {
        // RepetitionPenaltyLogitsProcessor: a seen token's positive logit / penalty, negative *
        // penalty
        float[] logits = {2f, -2f, 1f, 0.5f};
        TokenSampler.applyRepetitionPenalty(logits, new long[] {0, 1, 0, 7}, 3, 2f);
        assertArrayEquals(new float[] {1f, -4f, 1f, 0.5f}, logits);

        // greedy: the penalty moves the choice from token 0 to token 2
        TokenSampler sampler =
                new TokenSampler(GenerationConfig.builder().optRepetitionPenalty(2f).build());
        float[] row = {2f, -2f, 1.5f};
        ChosenToken chosen = sampler.choose(row, new long[] {0}, 1, new SplittableRandom(1));
        assertEquals(2, chosen.getId());
        // log-probability under the penalized logits {1, -2, 1.5}
        double expected = 1.5 - Math.log(Math.exp(1) + Math.exp(-2) + Math.exp(1.5));
        assertEquals(expected, chosen.getLogprob(), 1e-6);
    }

    @Test
    void sampledLogprobIsThatOfTheRenormalizedDistribution() {
        // top-k 2 at temperature 1 over {ln 3, ln 1, ln 0.5}: p = 3/4 and 1/4
        GenerationConfig config = GenerationConfig.builder().optDoSample(true).optTopK(2).build();
        TokenSampler sampler = new TokenSampler(config);
        float[] logits = {(float) Math.log(3), 0f, (float) Math.log(0.5)};
        SplittableRandom random = new SplittableRandom(4);
        for (int i = 0; i < 50; i++) {
            ChosenToken chosen = sampler.choose(logits.clone(), new long[0], 0, random);
            double p = chosen.getId() == 0 ? 0.75 : 0.25;
            assertTrue(chosen.getId() < 2);
            assertEquals(Math.log(p), chosen.getLogprob(), 1e-6);
        }
    }
}
