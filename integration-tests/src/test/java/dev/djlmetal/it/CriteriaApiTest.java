package dev.djlmetal.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.quant.ReferenceQuantizer;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.testing.LogitBounds;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import dev.djlmetal.zoo.testing.TinyWeights;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CriteriaApiTest {

    private static final long[] IDS = {1, 17, 33, 5, 60, 2, 9};

    /** Logits of the tiny checkpoints computed two ways agree within the forward pass's bound. */
    private static final LogitBounds BOUNDS =
            LogitBounds.of(
                    DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson()), IDS.length, 2);

    @TempDir Path dir;
    @TempDir Path other;

    private static float[] logits(Criteria<NDList, NDList> criteria) throws Exception {
        try (ZooModel<NDList, NDList> model = criteria.loadModel();
                Predictor<NDList, NDList> predictor = model.newPredictor();
                NDManager manager = model.getNDManager().newSubManager()) {
            NDArray ids = manager.create(IDS, new Shape(1, IDS.length));
            NDArray out = predictor.predict(new NDList(ids)).get(0);
            assertEquals(DataType.FLOAT32, out.getDataType());
            assertEquals(new Shape(1, IDS.length, Checkpoints.VOCAB), out.getShape());
            return out.toFloatArray();
        }
    }

    private static String generate(Criteria<String, String> criteria, String prompt)
            throws Exception {
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            return predictor.predict(prompt);
        }
    }

    @Test
    void floatCheckpointGeneratesText() throws Exception {
        Checkpoints.writeFloat(dir, Checkpoints.weights(1));
        Criteria<String, String> criteria =
                Checkpoints.criteria(String.class, String.class, dir)
                        .optArgument("maxNewTokens", 8)
                        .build();
        String text = generate(criteria, "w4 w5 w6");
        assertFalse(text.isEmpty());
        assertTrue(text.matches("( w[0-9]+)+"), text);
        assertTrue(text.split(" w").length - 1 <= 8, "at most 8 new tokens: " + text);
        assertEquals(text, generate(criteria, "w4 w5 w6"));
    }

    @Test
    void dequantizedMlxAndTransformersCheckpointsEqualTheirFloats() throws Exception {
        for (CheckpointFormat format :
                new CheckpointFormat[] {CheckpointFormat.MLX, CheckpointFormat.TRANSFORMERS}) {
            Path quantized = dir.resolve(format.name());
            Path reference = other.resolve(format.name());
            TinyWeights dequantized =
                    Checkpoints.writeQuantized(quantized, Checkpoints.weights(2), format, 4, 32);
            Checkpoints.writeFloat(reference, dequantized);
            float[] expected =
                    logits(Checkpoints.criteria(NDList.class, NDList.class, reference).build());
            // dequantize=true: the portable path that needs no quantized backend
            float[] actual =
                    logits(
                            Checkpoints.criteria(NDList.class, NDList.class, quantized)
                                    .optOption("dequantize", "true")
                                    .build());
            BOUNDS.assertClose(expected, actual, Checkpoints.VOCAB, format.name());
        }
    }

    @Test
    void quantizedCheckpointsRunQuantizedAndEqualTheirDequantizedFloats() throws Exception {
        for (CheckpointFormat format :
                new CheckpointFormat[] {CheckpointFormat.MLX, CheckpointFormat.TRANSFORMERS}) {
            Path quantized = dir.resolve("q" + format.name());
            Path reference = other.resolve("q" + format.name());
            TinyWeights dequantized =
                    Checkpoints.writeQuantized(quantized, Checkpoints.weights(5), format, 4, 32);
            Checkpoints.writeFloat(reference, dequantized);
            float[] expected =
                    logits(Checkpoints.criteria(NDList.class, NDList.class, reference).build());
            float[] actual =
                    logits(Checkpoints.criteria(NDList.class, NDList.class, quantized).build());
            BOUNDS.assertClose(expected, actual, Checkpoints.VOCAB, format.name());
            String text =
                    generate(
                            Checkpoints.criteria(String.class, String.class, quantized)
                                    .optArgument("maxNewTokens", 6)
                                    .build(),
                            "w4 w5");
            // the same greedy continuation as the float model with the dequantized weights
            String floatText =
                    generate(
                            Checkpoints.criteria(String.class, String.class, reference)
                                    .optArgument("maxNewTokens", 6)
                                    .build(),
                            "w4 w5");
            assertEquals(floatText, text, format.name());
            assertTrue(text.isEmpty() || text.matches("( w[0-9]+)+"), text);
        }
    }

    @Test
    void onTheFlyQuantizationStaysCloseToFloat() throws Exception {
        Checkpoints.writeFloat(dir, Checkpoints.weights(3));
        float[] reference = logits(Checkpoints.criteria(NDList.class, NDList.class, dir).build());
        float[] eightBit =
                logits(
                        Checkpoints.criteria(NDList.class, NDList.class, dir)
                                .optOption("bits", "8")
                                .optOption("group_size", "32")
                                .build());
        double error = 0;
        double norm = 0;
        for (int i = 0; i < reference.length; i++) {
            error += (reference[i] - eightBit[i]) * (reference[i] - eightBit[i]);
            norm += reference[i] * reference[i];
        }
        double relative = Math.sqrt(error / norm);
        assertTrue(relative > 0, "8-bit weights should not give the float logits bit for bit");
        // First-order bound: each quantized product perturbs its output by at most the relative
        // (Frobenius) error of its weight, and the errors of the products along the longest path
        // add up (triangle inequality; RMSNorm rescales and SiLU and softmax are 1-Lipschitz to
        // first order). Per layer that path crosses 4 quantized products: one of q/k/v, o_proj,
        // one of gate/up, down_proj.
        double weightError = 0;
        TinyWeights weights = Checkpoints.weights(3);
        for (String name : weights.all().keySet()) {
            long[] shape = weights.shape(name);
            if (shape.length == 2 && name.endsWith("_proj.weight")) {
                weightError =
                        Math.max(weightError, relativeQuantizationError(weights.get(name), shape));
            }
        }
        int layers = DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson()).getNumHiddenLayers();
        double bound = 4 * layers * weightError;
        assertTrue(weightError > 0 && weightError < 0.01, "8-bit weight error " + weightError);
        assertTrue(relative < bound, "relative logit error " + relative + ", bound " + bound);
    }

    /** Returns ||dequant(quant(w)) - w|| / ||w|| for 8-bit, group 32 quantization. */
    private static double relativeQuantizationError(float[] w, long[] shape) {
        float[] q =
                ReferenceQuantizer.quantize(w, (int) shape[0], (int) shape[1], 8, 32).dequantize();
        double error = 0;
        double norm = 0;
        for (int i = 0; i < w.length; i++) {
            error += (q[i] - w[i]) * (double) (q[i] - w[i]);
            norm += w[i] * (double) w[i];
        }
        return Math.sqrt(error / norm);
    }

    @Test
    void badOptionsAndArgumentsNameTheValue() throws Exception {
        Checkpoints.writeFloat(dir, Checkpoints.weights(4));
        assertMessage(
                Checkpoints.criteria(String.class, String.class, dir)
                        .optOption("bits", "7")
                        .build(),
                "bits");
        assertMessage(
                Checkpoints.criteria(String.class, String.class, dir)
                        .optOption("groupSize", "48")
                        .build(),
                "48");
        assertMessage(
                Checkpoints.criteria(String.class, String.class, dir)
                        .optArgument("temperature", "-1")
                        .build(),
                "temperature=-1");
        assertMessage(
                Checkpoints.criteria(NDList.class, NDList.class, other).build(), other.toString());
    }

    private static void assertMessage(Criteria<?, ?> criteria, String expected) {
        Exception e = assertThrows(Exception.class, () -> criteria.loadModel().close());
        StringBuilder messages = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append(" | ");
        }
        assertTrue(messages.toString().contains(expected), messages.toString());
    }
}
