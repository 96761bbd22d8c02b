package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.djlmetal.testing.FloatErrorBounds;
import dev.djlmetal.zoo.testing.LogitBounds;
import dev.djlmetal.zoo.testing.ReferenceLlama;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import dev.djlmetal.zoo.testing.TinyWeights;
import org.junit.jupiter.api.Test;

class CausalLMTest {

    private static final long[] IDS = {1, 5, 17, 42, 95, 3, 60, 7};

    @Test
    void llamaLogitsMatchPlainJavaReference() {
        checkAgainstReference(DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson()));
    }

    @Test
    void qwen2LogitsMatchPlainJavaReference() {
        checkAgainstReference(DecoderConfig.fromJson(TinyCheckpoints.qwen2ConfigJson()));
    }

    private static void checkAgainstReference(DecoderConfig config) {
        TinyWeights weights = TinyCheckpoints.randomWeights(config, 7);
        double[][] expected = new ReferenceLlama(config, weights).logits(IDS);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            CausalLM model = new CausalLM(config);
            weights.applyTo(model, manager);
            NDArray ids = manager.create(IDS, new Shape(1, IDS.length));
            NDList out = model.forward(ids, KvCache.empty());
            assertEquals(new Shape(1, IDS.length, config.getVocabSize()), out.head().getShape());
            assertEquals(DataType.FLOAT32, out.head().getDataType());
            assertEquals(1 + 2 * config.getNumHiddenLayers(), out.size());
            assertEquals(
                    new Shape(1, config.getNumKeyValueHeads(), IDS.length, config.getHeadDim()),
                    out.get(1).getShape());
            float[] actual = out.head().toFloatArray();
            int vocab = config.getVocabSize();
            double[] flat = new double[IDS.length * vocab];
            double maxAbs = 0;
            for (int s = 0; s < IDS.length; s++) {
                for (int v = 0; v < vocab; v++) {
                    flat[s * vocab + v] = expected[s][v];
                    maxAbs = Math.max(maxAbs, Math.abs(expected[s][v]));
                }
            }
            LogitBounds.of(config, IDS.length, 1)
                    .assertClose(flat, actual, vocab, "float32 against the double reference");
            assertTrue(maxAbs > 0.5, "logits are not trivially small: " + maxAbs);
        }
    }

    @Test
    void logitsToKeepReturnsTheLastPositionsOfTheFullLogits() {
        DecoderConfig config = DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson());
        TinyWeights weights = TinyCheckpoints.randomWeights(config, 5);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            CausalLM model = new CausalLM(config);
            weights.applyTo(model, manager);
            int vocab = config.getVocabSize();
            NDArray ids = manager.create(IDS, new Shape(1, IDS.length));
            NDList full = model.forward(ids, KvCache.empty());
            float[] all = full.head().toFloatArray();
            // The kept logits are the same dot products over the same final hidden states, but a
            // product of another shape may run another BLAS kernel (AVX2 vs AVX-512) and sum in
            // another order: each logit may move by the float32 bound of its hidden-size terms.
            int hiddenSize = config.getHiddenSize();
            float[] hidden =
                    model.getModel()
                            .forward(new ParameterStore(manager, false), new NDList(ids), false)
                            .head()
                            .toFloatArray();
            float[] projection = weights.get("model.embed_tokens.weight");
            for (int keep : new int[] {1, 3, IDS.length, IDS.length + 4}) {
                NDList out = model.forward(ids, KvCache.empty(), null, keep);
                int kept = Math.min(keep, IDS.length);
                assertEquals(new Shape(1, kept, vocab), out.head().getShape(), "keep " + keep);
                float[] actual = out.head().toFloatArray();
                for (int r = 0; r < kept; r++) {
                    int s = IDS.length - kept + r;
                    for (int v = 0; v < vocab; v++) {
                        double absSum =
                                FloatErrorBounds.absDot(
                                        hidden,
                                        s * hiddenSize,
                                        projection,
                                        v * hiddenSize,
                                        hiddenSize);
                        assertEquals(
                                all[s * vocab + v],
                                actual[r * vocab + v],
                                FloatErrorBounds.twoOrders(hiddenSize, absSum),
                                "keep " + keep + ", position " + s + ", token " + v);
                    }
                }
                assertArrayEquals(
                        full.get(1).toFloatArray(),
                        out.get(1).toFloatArray(),
                        "cache, keep " + keep);
            }
            IllegalArgumentException zero =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.forward(ids, KvCache.empty(), null, 0));
            assertTrue(zero.getMessage().contains(CausalLM.LOGITS_TO_KEEP));
        }
    }

    @Test
    void cachedDecodingEqualsFullRecomputation() {
        DecoderConfig config = DecoderConfig.fromJson(TinyCheckpoints.qwen2ConfigJson());
        TinyWeights weights = TinyCheckpoints.randomWeights(config, 11);
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            CausalLM model = new CausalLM(config);
            weights.applyTo(model, manager);
            int vocab = config.getVocabSize();
            NDArray all = manager.create(IDS, new Shape(1, IDS.length));
            float[] full = model.forward(all, KvCache.empty()).head().toFloatArray();

            int prefix = 5;
            NDList out = model.forward(all.get(":, :{}", prefix), KvCache.empty());
            KvCache cache = KvCache.fromOutput(out);
            assertEquals(prefix, cache.length());
            for (int s = prefix; s < IDS.length; s++) {
                out = model.forward(all.get(new NDIndex(":, {}:{}", s, s + 1)), cache);
                cache = KvCache.fromOutput(out);
                assertEquals(s + 1, cache.length());
                float[] step = out.head().toFloatArray();
                float[] expected = new float[vocab];
                System.arraycopy(full, s * vocab, expected, 0, vocab);
                LogitBounds.of(config, IDS.length, 2)
                        .assertClose(expected, step, vocab, "cached position " + s);
            }
        }
    }

    @Test
    void leftPaddedBatchMatchesUnpaddedRows() {
        DecoderConfig config = DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson());
        TinyWeights weights = TinyCheckpoints.randomWeights(config, 13);
        int vocab = config.getVocabSize();
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            CausalLM model = new CausalLM(config);
            weights.applyTo(model, manager);
            long[] shortRow = {1, 9, 33};
            long[] longRow = {1, 4, 8, 15, 16};
            NDArray batch = manager.create(new long[][] {{0, 0, 1, 9, 33}, {1, 4, 8, 15, 16}});
            NDArray mask = manager.create(new long[][] {{0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}});
            NDList out = model.forward(batch, KvCache.empty(), mask);

            float[] shortAlone =
                    model.forward(manager.create(shortRow, new Shape(1, 3)), KvCache.empty())
                            .head()
                            .toFloatArray();
            float[] longAlone =
                    model.forward(manager.create(longRow, new Shape(1, 5)), KvCache.empty())
                            .head()
                            .toFloatArray();
            float[] paddedRow = out.head().get("0, 2:, :").toFloatArray();
            float[] fullRow = out.head().get("1, :, :").toFloatArray();
            LogitBounds bounds = LogitBounds.of(config, 6, 2);
            bounds.assertClose(shortAlone, paddedRow, vocab, "left-padded row");
            bounds.assertClose(longAlone, fullRow, vocab, "unpadded row of the batch");

            NDArray next = manager.create(new long[][] {{21}, {22}});
            NDArray mask2 = mask.concat(manager.ones(new Shape(2, 1), DataType.INT64), 1);
            NDList step = model.forward(next, KvCache.fromOutput(out), mask2);
            float[] shortNext =
                    model.forward(
                                    manager.create(new long[] {1, 9, 33, 21}, new Shape(1, 4)),
                                    KvCache.empty())
                            .head()
                            .get("0, 3, :")
                            .toFloatArray();
            bounds.assertClose(
                    shortNext,
                    step.head().get("0, 0, :").toFloatArray(),
                    vocab,
                    "padded row after a cached step");
            assertEquals(vocab, shortNext.length);
        }
    }
}
