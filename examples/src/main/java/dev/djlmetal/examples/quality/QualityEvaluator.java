package dev.djlmetal.examples.quality;

import ai.djl.ModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;

import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.examples.train.StoryGrammar;
import dev.djlmetal.quant.QuantizationReport;
import dev.djlmetal.zoo.generate.LlmTokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Measures what quantization costs a causal language model on held-out text: the perplexity of each
 * next token, and the fraction of positions where the most likely next token is the one float32
 * predicts (top-1 agreement).
 *
 * <p>Each setting loads the checkpoint afresh through {@code Criteria<NDList, NDList>} with the
 * {@code bits} and {@code groupSize} options (quantization on the fly), and runs every sequence
 * once through the model's block.
 */
public final class QualityEvaluator {

    private final Path modelDir;
    private final List<long[]> sequences;
    private int[][] floatTop1;

    /**
     * Creates an evaluator.
     *
     * @param modelDir the float checkpoint directory
     * @param sequences the held-out token sequences (each with its beginning-of-sequence token)
     */
    public QualityEvaluator(Path modelDir, List<long[]> sequences) {
        this.modelDir = Objects.requireNonNull(modelDir, "modelDir");
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("No held-out sequence to evaluate");
        }
        for (long[] s : sequences) {
            if (s.length < 2) {
                throw new IllegalArgumentException(
                        "A held-out sequence needs at least 2 tokens, got " + s.length);
            }
        }
        this.sequences = List.copyOf(sequences);
    }

    /**
     * Tokenizes held-out stories of {@link StoryGrammar} with a model's tokenizer.
     *
     * @param modelDir the checkpoint directory (its {@code tokenizer.json} is used)
     * @param seed the grammar's seed; use one the model did not train on
     * @param count the number of stories
     * @param maxTokens the most tokens kept per story (the model's context)
     * @return one token sequence per story
     * @throws IOException when the tokenizer cannot be read
     */
    public static List<long[]> heldOutStories(Path modelDir, long seed, int count, int maxTokens)
            throws IOException {
        List<long[]> sequences = new ArrayList<>();
        try (LlmTokenizer tokenizer = LlmTokenizer.load(modelDir)) {
            for (String story : new StoryGrammar(seed).stories(count)) {
                long[] ids = tokenizer.encode(story);
                sequences.add(ids.length > maxTokens ? Arrays.copyOf(ids, maxTokens) : ids);
            }
        }
        return sequences;
    }

    /**
     * Evaluates float32, the reference of the agreement.
     *
     * @return the result (its agreement is 1)
     * @throws IOException when the checkpoint cannot be read
     * @throws ModelException when the model cannot be loaded
     */
    public QualityResult evaluateFloat() throws IOException, ModelException {
        return evaluate(0, 0);
    }

    /**
     * Evaluates one setting.
     *
     * @param bits the bits per weight, 0 for float32
     * @param groupSize the group size (ignored for float32)
     * @return the result
     * @throws IOException when the checkpoint cannot be read
     * @throws ModelException when the model cannot be loaded
     */
    public QualityResult evaluate(int bits, int groupSize) throws IOException, ModelException {
        if (bits != 0 && floatTop1 == null) {
            evaluateFloat();
        }
        Criteria.Builder<NDList, NDList> builder =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optEngine("Metal")
                        .optModelPath(modelDir);
        if (bits != 0) {
            builder.optOption("bits", String.valueOf(bits))
                    .optOption("groupSize", String.valueOf(groupSize));
        }
        try (ZooModel<NDList, NDList> model = builder.build().loadModel()) {
            Object report = ((MetalModel) model.getWrappedModel()).getQuantizationReport();
            int converted =
                    report instanceof QuantizationReport
                            ? ((QuantizationReport) report).getConverted().size()
                            : 0;
            int[][] top1 = new int[sequences.size()][];
            double nll = 0;
            int count = 0;
            int agree = 0;
            ParameterStore parameters = new ParameterStore(model.getNDManager(), false);
            for (int s = 0; s < sequences.size(); s++) {
                long[] ids = sequences.get(s);
                int vocab;
                float[] logits;
                try (NDManager scope = model.getNDManager().newSubManager()) {
                    NDArray input = scope.create(ids, new Shape(1, ids.length));
                    NDArray out =
                            model.getBlock().forward(parameters, new NDList(input), false).get(0);
                    vocab = (int) out.getShape().get(2);
                    logits = out.toType(DataType.FLOAT32, false).toFloatArray();
                }
                top1[s] = new int[ids.length - 1];
                for (int t = 0; t + 1 < ids.length; t++) {
                    int offset = t * vocab;
                    nll += negativeLogLikelihood(logits, offset, vocab, (int) ids[t + 1]);
                    top1[s][t] = argmax(logits, offset, vocab);
                    if (floatTop1 != null && floatTop1[s][t] == top1[s][t]) {
                        agree++;
                    }
                    count++;
                }
            }
            if (bits == 0) {
                floatTop1 = top1;
                agree = count;
            }
            return new QualityResult(
                    bits,
                    bits == 0 ? 0 : groupSize,
                    Math.exp(nll / count),
                    (double) agree / count,
                    converted,
                    count);
        }
    }

    /**
     * Returns {@code -log softmax(row)[target]} of one logits row, computed in double.
     *
     * @param logits the logits
     * @param offset where the row starts
     * @param vocab the row length
     * @param target the target token
     * @return the negative log-likelihood
     */
    static double negativeLogLikelihood(float[] logits, int offset, int vocab, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        return max + Math.log(sum) - logits[offset + target];
    }

    /**
     * Returns the index of the largest value of one logits row (the first one on ties).
     *
     * @param logits the logits
     * @param offset where the row starts
     * @param vocab the row length
     * @return the index within the row
     */
    static int argmax(float[] logits, int offset, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
