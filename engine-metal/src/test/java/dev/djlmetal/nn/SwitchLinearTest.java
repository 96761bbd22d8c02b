package dev.djlmetal.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.quant.QuantizedTensor;
import dev.djlmetal.testing.FloatErrorBounds;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The expert stacks of mixture-of-experts layers: {@link SwitchLinear} in float and {@link
 * MetalQuantizedSwitchLinear} on every backend give {@code y[i] = x[i] @ W[ids[i]]^T}, checked row
 * by row against a double-precision product with each expert's dequantized matrix.
 */
class SwitchLinearTest {

    private static final int EXPERTS = 4;
    private static final int N = 24;
    private static final int K = 64;

    /** Rows sorted by expert (one product per expert), then the same rows unsorted. */
    private static final long[] SORTED = {0, 0, 2, 2, 2, 3};

    private static final long[] UNSORTED = {3, 0, 2, 0, 3, 3, 2};

    private static PlainQuantizedMatrix[] experts(int bits, int groupSize) {
        PlainQuantizedMatrix[] experts = new PlainQuantizedMatrix[EXPERTS];
        for (int e = 0; e < EXPERTS; e++) {
            experts[e] = PlainQuantizedMatrix.random(N, K, bits, groupSize, 31 * e + bits);
        }
        return experts;
    }

    /** Stacks the experts' packed codes, scales and biases along a new leading axis. */
    private static QuantizedTensor stack(NDManager manager, PlainQuantizedMatrix[] experts) {
        NDList packed = new NDList();
        NDList scales = new NDList();
        NDList biases = new NDList();
        for (PlainQuantizedMatrix e : experts) {
            QuantizedTensor q = e.toTensor(manager, DataType.FLOAT32);
            packed.add(q.packed());
            scales.add(q.scales());
            biases.add(q.biases());
        }
        QuantizedTensor first = experts[0].toTensor(manager, DataType.FLOAT32);
        return new QuantizedTensor(
                NDArrays.stack(packed, 0),
                NDArrays.stack(scales, 0),
                NDArrays.stack(biases, 0),
                first.bits(),
                first.groupSize());
    }

    private static float[] input(int rows, long seed) {
        Random random = new Random(seed);
        float[] x = new float[rows * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static void assertRowsMatch(
            PlainQuantizedMatrix[] experts, float[] x, long[] ids, float[] actual) {
        assertEquals(ids.length * N, actual.length);
        for (int i = 0; i < ids.length; i++) {
            PlainQuantizedMatrix w = experts[(int) ids[i]];
            float[] row = Arrays.copyOfRange(x, i * K, (i + 1) * K);
            float[] expected = w.matmulTransposed(row, 1);
            float[] dense = w.dequantized();
            for (int n = 0; n < N; n++) {
                double bound =
                        FloatErrorBounds.twoOrders(
                                        K, FloatErrorBounds.absDot(row, 0, dense, n * K, K))
                                + 1e-6;
                double diff = Math.abs(expected[n] - actual[i * N + n]);
                if (diff > bound) {
                    fail(
                            "row "
                                    + i
                                    + " (expert "
                                    + ids[i]
                                    + "), output "
                                    + n
                                    + ": expected "
                                    + expected[n]
                                    + ", got "
                                    + actual[i * N + n]
                                    + " (bound "
                                    + bound
                                    + ")");
                }
            }
        }
    }

    private static float[] forward(Block block, NDManager manager, float[] x, long[] ids) {
        NDList in =
                new NDList(
                        manager.create(x, new Shape(ids.length, K)),
                        manager.create(ids, new Shape(ids.length)));
        try (NDScope scope = new NDScope()) {
            float[] out =
                    block.forward(new ParameterStore(manager, false), in, false)
                            .singletonOrThrow()
                            .toFloatArray();
            scope.suppressNotUsedWarning();
            return out;
        }
    }

    @Test
    void floatStackMatchesEachExpertsProduct() {
        PlainQuantizedMatrix[] experts = experts(8, 32);
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] dense = new float[EXPERTS * N * K];
            for (int e = 0; e < EXPERTS; e++) {
                System.arraycopy(experts[e].dequantized(), 0, dense, e * N * K, N * K);
            }
            SwitchLinear block = new SwitchLinear(EXPERTS, N, K);
            block.getParameters()
                    .get("weight")
                    .setArray(manager.create(dense, new Shape(EXPERTS, N, K)));
            for (long[] ids : new long[][] {SORTED, UNSORTED}) {
                float[] x = input(ids.length, ids.length);
                assertRowsMatch(experts, x, ids, forward(block, manager, x, ids));
            }
            assertEquals(new Shape(5, N), block.getOutputShapes(new Shape[] {new Shape(5, K)})[0]);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = BackendKind.class,
            names = {"NDARRAY", "CPU", "METAL_EMULATED"})
    void quantizedStackRunsEveryExpertOnTheBackend(BackendKind kind) {
        Assumptions.assumeTrue(
                Backends.isAvailable(kind), kind + " is not available on this machine");
        for (int bits : new int[] {3, 4, 8}) {
            PlainQuantizedMatrix[] experts = experts(bits, 32);
            try (NDManager manager = NDManager.newBaseManager()) {
                MetalQuantizedSwitchLinear block =
                        MetalQuantizedSwitchLinear.builder()
                                .setWeight(stack(manager, experts))
                                .optBackend(
                                        Backends.create(
                                                kind, Device.cpu(), BackendSettings.defaults()))
                                .build();
                assertEquals(0, block.getPreparedExpertCount());
                float[] x = input(SORTED.length, bits);
                assertRowsMatch(experts, x, SORTED, forward(block, manager, x, SORTED));
                // experts 1 has no row: it was never prepared (nor dequantized)
                assertEquals(3, block.getPreparedExpertCount());
                float[] x2 = input(UNSORTED.length, 100 + bits);
                assertRowsMatch(experts, x2, UNSORTED, forward(block, manager, x2, UNSORTED));
                assertEquals(3, block.getPreparedExpertCount());
                block.close();
            }
        }
    }

    @Test
    void badInputsAreRejectedWithTheirShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MetalQuantizedSwitchLinear block =
                    MetalQuantizedSwitchLinear.builder()
                            .setWeight(stack(manager, experts(4, 32)))
                            .build();
            IllegalArgumentException outside =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> forward(block, manager, input(2, 1), new long[] {1, EXPERTS}));
            assertTrue(outside.getMessage().contains("expert id " + EXPERTS), outside.getMessage());
            IllegalArgumentException width =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    block.forward(
                                            new ParameterStore(manager, false),
                                            new NDList(
                                                    manager.zeros(new Shape(2, K + 32)),
                                                    manager.create(new long[] {0, 1})),
                                            false));
            assertTrue(width.getMessage().contains("[rows, " + K + "]"), width.getMessage());
            IllegalArgumentException matrix =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    MetalQuantizedSwitchLinear.builder()
                                            .setWeight(
                                                    experts(4, 32)[0].toTensor(
                                                            manager, DataType.FLOAT32))
                                            .build());
            assertTrue(matrix.getMessage().contains("stack"), matrix.getMessage());
        }
    }

    @Test
    void stackedTensorsSliceIntoTheirMatricesAndStayOutOfMatrixOperations() {
        PlainQuantizedMatrix[] experts = experts(5, 32);
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedTensor stacked = stack(manager, experts);
            assertTrue(stacked.isStacked());
            assertEquals(EXPERTS, stacked.stackSize());
            assertEquals(new Shape(EXPERTS, N, K), stacked.logicalShape());
            assertEquals(N, stacked.rows());
            assertEquals(K, stacked.columns());
            for (int e = 0; e < EXPERTS; e++) {
                try (QuantizedTensor slice = stacked.slice(e)) {
                    assertEquals(new Shape(N, K), slice.logicalShape());
                    int[] words = experts[e].packedWords();
                    assertTrue(Arrays.equals(words, slice.packed().toIntArray()), "expert " + e);
                }
            }
            assertThrows(IndexOutOfBoundsException.class, () -> stacked.slice(EXPERTS));
            IllegalArgumentException linear =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> MetalQuantizedLinear.builder().setWeight(stacked).build());
            assertTrue(linear.getMessage().contains("slice(i)"), linear.getMessage());
            // the codes of expert 1 and scales of a 3-expert stack disagree: named in the error
            IllegalArgumentException mismatch =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    new QuantizedTensor(
                                            stacked.packed(),
                                            stacked.scales().get("0:3"),
                                            stacked.biases().get("0:3"),
                                            5,
                                            32));
            assertTrue(mismatch.getMessage().contains("matrices"), mismatch.getMessage());
        }
    }
}
