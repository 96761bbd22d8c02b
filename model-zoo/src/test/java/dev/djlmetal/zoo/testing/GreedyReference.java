package dev.djlmetal.zoo.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.Arrays;

/**
 * Greedy decoding checked without the key/value cache: the whole sequence is run through the model
 * again, in one forward pass or one pass per step, and every token a cached generation chose must
 * be the largest logit of the recomputed row. A token whose logit lies within the rounding bound of
 * the maximum ({@link LogitBounds}) also passes: two computations of different shapes may order a
 * near tie either way, on one CPU and not another.
 */
public final class GreedyReference {

    private GreedyReference() {}

    /**
     * Decodes greedily by recomputing the whole sequence at every step, without a cache.
     *
     * @param block the causal language model (input ids in, logits first out)
     * @param prompt the prompt ids
     * @param tokens the most tokens to generate
     * @param eos the end-of-sequence id, or -1 for none
     * @return the generated ids
     */
    public static long[] withoutCache(Block block, long[] prompt, int tokens, long eos) {
        long[] ids = prompt.clone();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ParameterStore parameters = new ParameterStore(manager, false);
            for (int i = 0; i < tokens; i++) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray input = step.create(ids, new Shape(1, ids.length));
                    NDList out = block.forward(parameters, new NDList(input), false);
                    float[] row = out.get(0).get("0, -1").toFloatArray();
                    long next = argmax(row);
                    if (next == eos) {
                        break;
                    }
                    ids = Arrays.copyOf(ids, ids.length + 1);
                    ids[ids.length - 1] = next;
                }
            }
        }
        return Arrays.copyOfRange(ids, prompt.length, ids.length);
    }

    /**
     * Checks a greedy generation against one forward pass over the prompt and the generated tokens:
     * at each position the next generated token holds the largest logit, up to the rounding bound
     * of the model.
     *
     * @param block the causal language model
     * @param bounds the model's logit bounds for this context length
     * @param prompt the prompt ids
     * @param generated the generated ids
     * @return the number of positions where the token is the exact maximum (the others are ties
     *     within the bound)
     */
    public static int assertGreedy(
            Block block, LogitBounds bounds, long[] prompt, long[] generated) {
        long[] all = new long[prompt.length + generated.length - 1];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(generated, 0, all, prompt.length, generated.length - 1);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            ParameterStore parameters = new ParameterStore(manager, false);
            NDArray input = manager.create(all, new Shape(1, all.length));
            NDArray logits = block.forward(parameters, new NDList(input), false).get(0);
            int vocab = (int) logits.getShape().get(2);
            float[] values = logits.toFloatArray();
            int exact = 0;
            for (int i = 0; i < generated.length; i++) {
                int row = (prompt.length - 1 + i) * vocab;
                float[] r = Arrays.copyOfRange(values, row, row + vocab);
                int best = argmax(r);
                double max = 0;
                for (float v : r) {
                    max = Math.max(max, Math.abs(v));
                }
                float chosen = r[(int) generated[i]];
                assertTrue(
                        r[best] - chosen <= bounds.tolerance(max),
                        "token "
                                + i
                                + ": generated "
                                + generated[i]
                                + " (logit "
                                + chosen
                                + ") but the recomputed maximum is "
                                + best
                                + " (logit "
                                + r[best]
                                + ")");
                if (best == generated[i]) {
                    exact++;
                }
            }
            assertEquals(all.length, logits.getShape().get(1));
            return exact;
        }
    }

    /**
     * Returns the index of the largest value (the first one on ties).
     *
     * @param row the values
     * @return the index
     */
    public static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }
}
