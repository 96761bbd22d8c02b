package dev.djlmetal.zoo.generate;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * A test language model that follows the forward contract of the model zoo (ids and past cache in,
 * logits and present cache out) with a plain-Java reference: the logits after token {@code t} at
 * absolute position {@code p} are {@code table[t] + p * drift}. The cache holds the ids seen so
 * far, so a generator that drops or mishandles it produces different tokens.
 */
final class BigramLm extends AbstractBlock {

    static final String[] WORDS = {
        "<s>", "</s>", "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "and", "home",
        "then", "slept", "big", "red", "ball", "saw", "it"
    };

    final float[][] table;
    final float[] drift;
    private final Parameter tableParam;
    private final Parameter driftParam;

    BigramLm(long seed) {
        int v = WORDS.length;
        SplittableRandom random = new SplittableRandom(seed);
        table = new float[v][v];
        drift = new float[v];
        for (int i = 0; i < v; i++) {
            for (int j = 0; j < v; j++) {
                table[i][j] = (float) random.nextGaussian() * 2f;
            }
            drift[i] = (float) random.nextGaussian() * 0.3f;
        }
        tableParam =
                addParameter(
                        Parameter.builder()
                                .setName("table")
                                .setType(Parameter.Type.WEIGHT)
                                .optShape(new Shape(v, v))
                                .build());
        driftParam =
                addParameter(
                        Parameter.builder()
                                .setName("drift")
                                .setType(Parameter.Type.BIAS)
                                .optShape(new Shape(v))
                                .build());
    }

    /** Creates a PyTorch model holding this block with its values. */
    Model newModel(Path dir) {
        Model model = Model.newInstance("bigram", "PyTorch");
        model.setBlock(this);
        initialize(model.getNDManager(), DataType.FLOAT32, new Shape(1, 1));
        float[] flat = new float[table.length * table.length];
        for (int i = 0; i < table.length; i++) {
            System.arraycopy(table[i], 0, flat, i * table.length, table.length);
        }
        tableParam.getArray().set(flat);
        driftParam.getArray().set(drift);
        return model;
    }

    /** The greedy continuation computed in plain Java. */
    long[] greedyReference(long[] prompt, int maxNewTokens, long eos) {
        long[] out = new long[maxNewTokens];
        int n = 0;
        long last = prompt[prompt.length - 1];
        int position = prompt.length - 1;
        while (n < maxNewTokens) {
            float[] row = new float[table.length];
            for (int j = 0; j < row.length; j++) {
                row[j] = table[(int) last][j] + position * drift[j];
            }
            long next = TokenSampler.argmax(row);
            if (next == eos) {
                break;
            }
            out[n++] = next;
            last = next;
            position++;
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Writes tokenizer.json (word level), tokenizer_config.json and config.json. */
    static void writeModelFiles(Path dir, long eos) throws IOException {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < WORDS.length; i++) {
            vocab.append(i == 0 ? "" : ",").append('"').append(WORDS[i]).append("\":").append(i);
        }
        String special =
                "{\"id\":%d,\"content\":\"%s\",\"single_word\":false,\"lstrip\":false,"
                        + "\"rstrip\":false,\"normalized\":false,\"special\":true}";
        String tokenizer =
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
                        + String.format(special, 0, "<s>")
                        + ","
                        + String.format(special, 1, "</s>")
                        + "],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
                        + "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":"
                        + "\"WordLevel\",\"vocab\":{"
                        + vocab
                        + "},\"unk_token\":\"</s>\"}}";
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
        Files.writeString(
                dir.resolve("tokenizer_config.json"),
                "{\"bos_token\":\"<s>\",\"add_bos_token\":true}");
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\":" + eos + "}");
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray ids = inputs.get(0);
        long seq = ids.getShape().get(1);
        long past = inputs.size() > 1 ? inputs.get(1).getShape().get(2) : 0;
        NDArray weights = parameterStore.getValue(tableParam, ids.getDevice(), training);
        NDArray driftValues = parameterStore.getValue(driftParam, ids.getDevice(), training);
        NDArray logits = ids.oneHot(table.length).toType(DataType.FLOAT32, false).matMul(weights);
        // operations take the request's array as receiver so that results stay in its manager
        NDArray positions =
                ids.getManager().arange(past, past + seq, 1, DataType.FLOAT32).reshape(1, seq, 1);
        logits = logits.add(positions.mul(driftValues));
        NDArray seen = ids.toType(DataType.FLOAT32, false).reshape(1, 1, seq, 1);
        NDArray present = past == 0 ? seen : inputs.get(1).concat(seen, 2);
        return new NDList(logits, present, present.duplicate());
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long seq = inputShapes[0].get(1);
        return new Shape[] {new Shape(1, seq, table.length)};
    }
}
