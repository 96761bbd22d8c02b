package dev.djlmetal.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.djlmetal.nn.ArrayAsserts;
import dev.djlmetal.nn.MetalQuantizedEmbedding;
import dev.djlmetal.nn.MetalQuantizedLinear;
import dev.djlmetal.nn.MetalQuantizedSwitchLinear;
import dev.djlmetal.nn.PlainQuantizedMatrix;
import dev.djlmetal.nn.QuantizableEmbedding;
import dev.djlmetal.nn.SwitchLinear;
import dev.djlmetal.nn.TestBlocks;
import dev.djlmetal.nn.TokenEmbedding;
import dev.djlmetal.testing.FloatErrorBounds;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MetalQuantizerTest {

    private static final MetalConfig EIGHT_BIT =
            MetalConfig.builder()
                    .optBits(8)
                    .optGroupSize(32)
                    .optModulesToNotConvert(List.of())
                    .build();

    /** Relative Frobenius error of {@code actual} against {@code expected}. */
    private static double relativeError(NDArray expected, NDArray actual) {
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < e.length; i++) {
            diff += (a[i] - e[i]) * (double) (a[i] - e[i]);
            norm += e[i] * (double) e[i];
        }
        return Math.sqrt(diff / norm);
    }

    /** Quantized size of an [n, k] weight with FLOAT32 scales at the given bits and group size. */
    private static long quantizedBytes(long n, long k, int bits, int groupSize) {
        return n * k * bits / 8 + 2 * n * (k / groupSize) * 4;
    }

    @Test
    void sequentialBlockIsConvertedByIndexAndStaysClose() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock();
            net.add(TestBlocks.randomLinear(manager, 96, 128, 1));
            net.add(Activation::relu);
            net.add(TestBlocks.randomLinear(manager, 172, 96, 2));
            net.add(TestBlocks.randomLinear(manager, 48, 172, 3));
            assertEquals(List.of("0", "1", "2", "3"), MetalQuantizer.modulePaths(net));
            NDArray x = TestBlocks.randomArray(manager, new Shape(2, 3, 128), 4);
            NDArray before = TestBlocks.forward(net, manager, x);
            Block last = net.getChildren().valueAt(3);

            QuantizationReport report = MetalQuantizer.quantize(net, EIGHT_BIT);

            assertEquals(List.of("0", "2"), report.getConvertedPaths());
            assertEquals(List.of("3"), report.getSkippedPaths());
            assertEquals(
                    "in_features 172 not divisible by group_size 32",
                    report.getSkipped().get(0).getReason());
            assertInstanceOf(MetalQuantizedLinear.class, net.getChildren().valueAt(0));
            assertInstanceOf(MetalQuantizedLinear.class, net.getChildren().valueAt(2));
            assertSame(last, net.getChildren().valueAt(3));
            assertEquals(
                    List.of("01Linear", "02LambdaBlock", "03Linear", "04Linear"),
                    net.getChildren().keys());

            QuantizationReport.ConvertedLayer first = report.getConverted().get(0);
            assertEquals(8, first.getBits());
            assertEquals(32, first.getGroupSize());
            assertEquals(new Shape(96, 128), first.getShape());
            assertEquals(96L * 128 * 4, first.getBytesBefore());
            assertEquals(quantizedBytes(96, 128, 8, 32), first.getBytesAfter());
            assertEquals(96L * 128 * 4 + 172L * 96 * 4, report.getBytesBefore());
            assertEquals(
                    quantizedBytes(96, 128, 8, 32) + quantizedBytes(172, 96, 8, 32),
                    report.getBytesAfter());

            NDArray after = TestBlocks.forward(net, manager, x);
            assertEquals(before.getShape(), after.getShape());
            double error = relativeError(before, after);
            assertTrue(error < 0.02, "relative error " + error);
            String table = report.toString();
            assertTrue(table.startsWith("Quantized layers: 2"), table);
            assertTrue(table.contains("Layers kept in float: 1"), table);
            String totals = "total\\s+" + report.getBytesBefore() + "\\s+" + report.getBytesAfter();
            assertTrue(table.lines().anyMatch(line -> line.matches(totals)), table);
            String skippedRow = "3\\s+in_features 172 not divisible by group_size 32";
            assertTrue(table.lines().anyMatch(line -> line.matches(skippedRow)), table);
        }
    }

    @Test
    void everyBitWidthMatchesFloatLinearOverTheReferenceDequantization() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = TestBlocks.randomArray(manager, new Shape(3, 128), 50);
            for (int bits : QuantSpec.SUPPORTED_BITS) {
                Linear linear = TestBlocks.randomLinear(manager, 32, 128, 50 + bits);
                float[] weight = linear.getParameters().get("weight").getArray().toFloatArray();
                NDArray bias = linear.getParameters().get("bias").getArray();
                ReferenceQuantizer.Result quantized =
                        ReferenceQuantizer.quantize(weight, 32, 128, bits, 64);
                float[] dequantized = quantized.dequantize();
                Linear reference =
                        TestBlocks.floatLinear(
                                manager.create(dequantized, new Shape(32, 128)), bias.duplicate());
                SequentialBlock net = new SequentialBlock().add(linear);
                MetalConfig config = EIGHT_BIT.toBuilder().optBits(bits).optGroupSize(64).build();

                QuantizationReport report = MetalQuantizer.quantize(net, config);

                assertEquals(bits, report.getConverted().get(0).getBits());
                ArrayAsserts.assertProductClose(
                        TestBlocks.forward(reference, manager, x),
                        TestBlocks.forward(net, manager, x),
                        x,
                        ArrayAsserts.affineMagnitudes(quantized),
                        bias);
            }
        }
    }

    @Test
    void expertStacksAreQuantizedExpertByExpertLikeLinearLayers() {
        int experts = 3;
        int n = 16;
        int k = 96;
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = TestBlocks.randomArray(manager, new Shape(experts, n, k), 77);
            float[] dense = w.toFloatArray();
            SequentialBlock net = new SequentialBlock();
            SwitchLinear stack = new SwitchLinear(experts, n, k);
            stack.getParameters().get("weight").setArray(w);
            net.add(stack);
            MetalConfig config = EIGHT_BIT.toBuilder().optBits(3).optGroupSize(32).build();

            QuantizationReport report = MetalQuantizer.quantize(net, config);

            assertEquals(List.of("0"), report.getConvertedPaths());
            assertEquals("experts", report.getConverted().get(0).getKind());
            assertEquals(new Shape(experts, n, k), report.getConverted().get(0).getShape());
            MetalQuantizedSwitchLinear q =
                    assertInstanceOf(
                            MetalQuantizedSwitchLinear.class, net.getChildren().valueAt(0));
            QuantizedTensor stacked = q.getQuantizedWeight();
            assertEquals(new Shape(experts, n, k * 3 / 32), stacked.packed().getShape());
            for (int e = 0; e < experts; e++) {
                float[] expert = new float[n * k];
                System.arraycopy(dense, e * n * k, expert, 0, n * k);
                ReferenceQuantizer.Result reference =
                        ReferenceQuantizer.quantize(expert, n, k, 3, 32);
                try (QuantizedTensor slice = stacked.slice(e)) {
                    ReferenceQuantizer.Result actual = ReferenceQuantizer.fromTensor(slice);
                    assertTrue(
                            Arrays.equals(reference.packed(), actual.packed()),
                            "codes of expert " + e);
                    assertTrue(
                            Arrays.equals(reference.scales(), actual.scales()),
                            "scales of expert " + e);
                    assertTrue(
                            Arrays.equals(reference.biases(), actual.biases()),
                            "biases of expert " + e);
                }
            }
            // an input width the group size does not divide keeps the stack in float
            SequentialBlock narrow = new SequentialBlock();
            SwitchLinear floatStack = new SwitchLinear(2, 8, 48);
            floatStack
                    .getParameters()
                    .get("weight")
                    .setArray(TestBlocks.randomArray(manager, new Shape(2, 8, 48), 5));
            narrow.add(floatStack);
            QuantizationReport skipped =
                    MetalQuantizer.quantize(narrow, EIGHT_BIT.toBuilder().optGroupSize(32).build());
            assertEquals(List.of("0"), skipped.getSkippedPaths());
            assertTrue(
                    skipped.getSkipped()
                            .get(0)
                            .getReason()
                            .contains("48 not divisible by group_size 32"),
                    skipped.getSkipped().get(0).getReason());
            assertSame(floatStack, narrow.getChildren().valueAt(0));
        }
    }

    @Test
    void aPreQuantizedStackForALinearLayerIsAnError() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock();
            net.add(Linear.builder().setUnits(16).optBias(false).build());
            QuantizedTensor matrix =
                    PlainQuantizedMatrix.random(16, 64, 4, 32, 3)
                            .toTensor(manager, DataType.FLOAT32);
            QuantizedTensor stack =
                    new QuantizedTensor(
                            NDArrays.stack(new NDList(matrix.packed(), matrix.packed()), 0),
                            NDArrays.stack(new NDList(matrix.scales(), matrix.scales()), 0),
                            NDArrays.stack(new NDList(matrix.biases(), matrix.biases()), 0),
                            4,
                            32);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    MetalQuantizer.quantize(
                                            net, EIGHT_BIT, path -> Optional.of(stack)));
            assertTrue(e.getMessage().contains("stack of matrices"), e.getMessage());
            assertTrue(e.getMessage().contains("linear"), e.getMessage());
        }
    }

    @Test
    void floatWeightIsClosedAndBiasMovesToTheQuantizedBlock() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock();
            Linear linear = TestBlocks.randomLinear(manager, 32, 64, 5);
            NDArray floatWeight = linear.getParameters().get("weight").getArray();
            NDArray bias = linear.getParameters().get("bias").getArray();
            net.add(linear);
            MetalQuantizer.quantize(net, EIGHT_BIT);
            assertTrue(floatWeight.isReleased());
            MetalQuantizedLinear quantized = (MetalQuantizedLinear) net.getChildren().valueAt(0);
            assertSame(bias, quantized.getBias());
        }
    }

    @Test
    void aWeightSharedWithAFloatLayerIsNotClosed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray shared = TestBlocks.randomArray(manager, new Shape(32, 32), 60);
            SequentialBlock net = new SequentialBlock();
            net.add(TestBlocks.floatLinear(shared, null));
            net.add(TestBlocks.floatLinear(shared, null));
            MetalConfig config = EIGHT_BIT.toBuilder().optModulesToNotConvert(List.of("1")).build();
            QuantizationReport report = MetalQuantizer.quantize(net, config);
            assertEquals(List.of("0"), report.getConvertedPaths());
            assertFalse(shared.isReleased());
            NDArray x = TestBlocks.randomArray(manager, new Shape(2, 32), 61);
            assertEquals(new Shape(2, 32), TestBlocks.forward(net, manager, x).getShape());
        }
    }

    @Test
    void modulesToNotConvertAreRespected() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock();
            net.add(TestBlocks.randomLinear(manager, 32, 64, 6));
            net.add(TestBlocks.randomLinear(manager, 32, 32, 7));
            MetalConfig config = EIGHT_BIT.toBuilder().optModulesToNotConvert(List.of("1")).build();
            QuantizationReport report = MetalQuantizer.quantize(net, config);
            assertEquals(List.of("0"), report.getConvertedPaths());
            assertEquals(List.of("1"), report.getSkippedPaths());
            assertTrue(report.getSkipped().get(0).getReason().contains("modules_to_not_convert"));
            assertInstanceOf(Linear.class, net.getChildren().valueAt(1));
        }
    }

    @Test
    void parallelBlockBranchesAreConverted() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ParallelBlock net =
                    new ParallelBlock(
                            outputs ->
                                    new NDList(
                                            NDArrays.concat(
                                                    new NDList(
                                                            outputs.get(0).singletonOrThrow(),
                                                            outputs.get(1).singletonOrThrow()),
                                                    -1)));
            net.add(TestBlocks.randomLinear(manager, 16, 64, 8));
            net.add(TestBlocks.randomLinear(manager, 24, 64, 9));
            NDArray x = TestBlocks.randomArray(manager, new Shape(5, 64), 10);
            NDArray before = TestBlocks.forward(net, manager, x);
            QuantizationReport report = MetalQuantizer.quantize(net, EIGHT_BIT);
            assertEquals(List.of("0", "1"), report.getConvertedPaths());
            assertTrue(report.getSkipped().isEmpty());
            NDArray after = TestBlocks.forward(net, manager, x);
            assertEquals(new Shape(5, 40), after.getShape());
            assertTrue(relativeError(before, after) < 0.02);
        }
    }

    @Test
    void userBlockFieldsAreUpdatedOrTheLayerIsSkipped() {
        try (NDManager manager = NDManager.newBaseManager()) {
            UserBlock net = new UserBlock(manager);
            assertEquals(
                    List.of("proj", "layers", "layers.0", "layers.1", "head"),
                    MetalQuantizer.modulePaths(net));
            NDArray x = TestBlocks.randomArray(manager, new Shape(3, 64), 11);
            NDArray before = TestBlocks.forward(net, manager, x);

            QuantizationReport report = MetalQuantizer.quantize(net, EIGHT_BIT);

            assertEquals(List.of("proj", "layers.0", "layers.1"), report.getConvertedPaths());
            assertEquals(List.of("head"), report.getSkippedPaths());
            String reason = report.getSkipped().get(0).getReason();
            assertTrue(reason.contains("UserBlock.head"), reason);
            assertTrue(reason.contains("ai.djl.nn.core.Linear"), reason);
            assertInstanceOf(MetalQuantizedLinear.class, net.proj);
            assertSame(net.proj, net.getChildren().get("01proj"));
            assertInstanceOf(Linear.class, net.head);
            assertTrue(net.head.getParameters().get("weight").isInitialized());
            NDArray after = TestBlocks.forward(net, manager, x);
            assertTrue(relativeError(before, after) < 0.02);
        }
    }

    @Test
    void embeddingsAreConvertedOnRequestAndTiedProjectionFollows() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray ids = manager.create(new int[] {3, 0, 9, 9}, new Shape(2, 2));
            TinyLm lm = new TinyLm(manager);
            NDArray before = TestBlocks.forward(lm, manager, ids);
            QuantizationReport kept = MetalQuantizer.quantize(lm, EIGHT_BIT);
            assertEquals(List.of("embed"), kept.getSkippedPaths());
            assertTrue(kept.getSkipped().get(0).getReason().contains("quantize_embeddings"));

            MetalConfig config = EIGHT_BIT.toBuilder().optQuantizeEmbeddings(true).build();
            QuantizationReport report = MetalQuantizer.quantize(lm, config);
            assertEquals(List.of("embed"), report.getConvertedPaths());
            assertEquals("embedding", report.getConverted().get(0).getKind());
            assertEquals(new Shape(12, 64), report.getConverted().get(0).getShape());
            assertInstanceOf(MetalQuantizedEmbedding.class, lm.tied);
            assertSame(lm.tied, lm.getChildren().valueAt(0));
            NDArray after = TestBlocks.forward(lm, manager, ids);
            assertEquals(new Shape(2, 2, 12), after.getShape());
            assertTrue(relativeError(before, after) < 0.02);
        }
    }

    @Test
    void preQuantizedWeightsAreUsedAsGiven() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(16, 64, 4, 32, 12);
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock();
            net.add(Linear.builder().setUnits(16).optBias(false).build());
            net.add(Linear.builder().setUnits(16).optBias(false).build());
            Map<String, QuantizedTensor> tensors =
                    Map.of("0", plain.toTensor(manager, DataType.FLOAT16));
            QuantizationReport report =
                    MetalQuantizer.quantize(
                            net, EIGHT_BIT, path -> Optional.ofNullable(tensors.get(path)));
            assertEquals(List.of("0"), report.getConvertedPaths());
            assertTrue(report.getConverted().get(0).isPreQuantized());
            assertEquals(4, report.getConverted().get(0).getBits());
            assertEquals(16L * 64 * 2, report.getBytesBefore());
            assertEquals(List.of("1"), report.getSkippedPaths());
            assertTrue(report.getSkipped().get(0).getReason().contains("not initialized"));
            NDArray x = TestBlocks.randomArray(manager, new Shape(2, 64), 13);
            NDArray y =
                    net.getChildren()
                            .valueAt(0)
                            .forward(new ParameterStore(manager, false), new NDList(x), false)
                            .singletonOrThrow();
            ArrayAsserts.assertProductClose(
                    manager.create(plain.matmulTransposed(x.toFloatArray(), 2), y.getShape()),
                    y,
                    x,
                    plain.affineMagnitudes(),
                    null);
        }
    }

    @Test
    void preQuantizedEmbeddingIsPlacedEvenWhenEmbeddingsStayFloatByDefault() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(12, 64, 6, 32, 70);
        try (NDManager manager = NDManager.newBaseManager()) {
            TinyLm lm = new TinyLm(manager);
            QuantizedTensor table = plain.toTensor(manager, DataType.FLOAT32);
            QuantizationReport report =
                    MetalQuantizer.quantize(
                            lm,
                            EIGHT_BIT,
                            p -> "embed".equals(p) ? Optional.of(table) : Optional.empty());
            assertEquals(List.of("embed"), report.getConvertedPaths());
            assertTrue(report.getConverted().get(0).isPreQuantized());
            NDArray rows = lm.tied.embed(manager.create(new int[] {11, 2}));
            float[] expected = new float[2 * 64];
            System.arraycopy(plain.dequantized(), 11 * 64, expected, 0, 64);
            System.arraycopy(plain.dequantized(), 2 * 64, expected, 64, 64);
            // one rounding of code * scale + bias (fused or not) per element
            float[] magnitudes = plain.affineMagnitudes();
            float[] actual = rows.toFloatArray();
            for (int d = 0; d < 64; d++) {
                assertEquals(
                        expected[d],
                        actual[d],
                        FloatErrorBounds.gamma(2) * magnitudes[11 * 64 + d]);
                assertEquals(
                        expected[64 + d],
                        actual[64 + d],
                        FloatErrorBounds.gamma(2) * magnitudes[2 * 64 + d]);
            }
        }
    }

    @Test
    void preQuantizedWeightForAnUnreplaceableFieldIsAnError() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(8, 64, 4, 32, 71);
        try (NDManager manager = NDManager.newBaseManager()) {
            UserBlock net = new UserBlock(manager);
            QuantizedTensor tensor = plain.toTensor(manager, DataType.FLOAT32);
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () ->
                                    MetalQuantizer.quantize(
                                            net,
                                            EIGHT_BIT,
                                            p ->
                                                    "head".equals(p)
                                                            ? Optional.of(tensor)
                                                            : Optional.empty()));
            String message = e.getMessage();
            assertTrue(message.startsWith("Module head has a pre-quantized"), message);
            assertTrue(e.getMessage().contains("UserBlock.head"), e.getMessage());
            assertTrue(tensor.packed().isReleased());
        }
    }

    @Test
    void preQuantizedShapeMismatchIsAnError() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(16, 64, 4, 32, 14);
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock();
            net.add(TestBlocks.randomLinear(manager, 16, 32, 15));
            QuantizedTensor tensor = plain.toTensor(manager, DataType.FLOAT32);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    MetalQuantizer.quantize(
                                            net, EIGHT_BIT, p -> Optional.of(tensor)));
            assertTrue(e.getMessage().contains("(16, 64)"), e.getMessage());
            assertTrue(e.getMessage().contains("(16, 32)"), e.getMessage());
        }
    }

    @Test
    void nonMatrixAndNonFloatWeightsAreSkipped() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock net = new SequentialBlock();
            net.add(TestBlocks.floatLinear(manager.ones(new Shape(64)), null));
            net.add(TestBlocks.floatLinear(manager.ones(new Shape(8, 64), DataType.INT32), null));
            QuantizationReport report = MetalQuantizer.quantize(net, EIGHT_BIT);
            assertEquals(List.of("0", "1"), report.getSkippedPaths());
            assertEquals("weight (64) is not a 2-D matrix", report.getSkipped().get(0).getReason());
            assertEquals(
                    "weight data type INT32 is not FLOAT32 or FLOAT16",
                    report.getSkipped().get(1).getReason());
        }
    }

    @Test
    void collidingSiblingNamesAreAddressedByIndex() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NamedChildren block = new NamedChildren(manager);
            assertEquals(List.of("0", "1", "mlp"), MetalQuantizer.modulePaths(block));
        }
    }

    /** A user block holding a Linear in a field declared as Block and one declared as Linear. */
    static final class UserBlock extends AbstractBlock {

        Block proj;
        Linear head;
        private final SequentialBlock layers;

        UserBlock(NDManager manager) {
            proj = addChildBlock("proj", TestBlocks.randomLinear(manager, 64, 64, 20));
            layers = new SequentialBlock();
            layers.add(TestBlocks.randomLinear(manager, 32, 64, 21));
            layers.add(TestBlocks.randomLinear(manager, 64, 32, 22));
            addChildBlock("layers", layers);
            head = addChildBlock("head", TestBlocks.randomLinear(manager, 8, 64, 23));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape in = inputShapes[0];
            return new Shape[] {in.slice(0, in.dimension() - 1).add(8)};
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> p) {
            NDList h = proj.forward(store, inputs, training);
            h = layers.forward(store, h, training);
            return head.forward(store, h, training);
        }
    }

    /** A float embedding that implements the quantizer's interfaces. */
    static final class FloatEmbedding extends AbstractBlock
            implements QuantizableEmbedding, TokenEmbedding {

        private final Parameter weight;

        FloatEmbedding(NDArray table) {
            weight =
                    addParameter(
                            Parameter.builder()
                                    .setName("weight")
                                    .setType(Parameter.Type.WEIGHT)
                                    .build());
            weight.setArray(table);
        }

        @Override
        public Parameter getEmbeddingWeight() {
            return weight;
        }

        @Override
        public NDArray embed(NDArray ids) {
            return weight.getArray()
                    .get(new ai.djl.ndarray.index.NDIndex("{}", ids.flatten()))
                    .reshape(ids.getShape().add(weight.getArray().getShape().get(1)));
        }

        @Override
        public NDArray projectTransposed(NDArray x) {
            return x.matMul(weight.getArray().transpose());
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {inputShapes[0].add(weight.getArray().getShape().get(1))};
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> p) {
            return new NDList(embed(inputs.singletonOrThrow()));
        }
    }

    /** Embedding and tied output projection through a field declared as TokenEmbedding. */
    static final class TinyLm extends AbstractBlock {

        TokenEmbedding tied;

        TinyLm(NDManager manager) {
            tied =
                    addChildBlock(
                            "embed",
                            new FloatEmbedding(
                                    TestBlocks.randomArray(manager, new Shape(12, 64), 30)));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {inputShapes[0].add(12)};
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> p) {
            NDArray h = tied.forward(store, inputs, training).singletonOrThrow();
            return new NDList(tied.projectTransposed(h));
        }
    }

    /** Two children named alike and one with a unique name. */
    static final class NamedChildren extends AbstractBlock {

        NamedChildren(NDManager manager) {
            addChildBlock("proj", TestBlocks.randomLinear(manager, 8, 32, 40));
            addChildBlock("proj", TestBlocks.randomLinear(manager, 8, 32, 41));
            addChildBlock("mlp", TestBlocks.randomLinear(manager, 8, 32, 42));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> p) {
            return inputs;
        }
    }
}
