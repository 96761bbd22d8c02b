package dev.djlmetal.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.djlmetal.testing.FloatErrorBounds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MetalQuantizedEmbeddingTest {

    private static final int V = 50;
    private static final int D = 64;

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void lookupReturnsRowsOfTheDequantizedTable(int bits) {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(V, D, bits, 32, 200 + bits);
        float[] table = plain.dequantized();
        float[] magnitudes = plain.affineMagnitudes();
        int[][] ids = {{0, 49, 7}, {7, 23, 1}};
        try (NDManager manager = NDManager.newBaseManager()) {
            MetalQuantizedEmbedding block =
                    MetalQuantizedEmbedding.builder()
                            .setWeight(plain.toTensor(manager, DataType.FLOAT32))
                            .build();
            NDArray idArray = manager.create(new int[] {0, 49, 7, 7, 23, 1}, new Shape(2, 3));
            for (NDArray input : new NDArray[] {idArray, idArray.toType(DataType.INT64, false)}) {
                NDArray out =
                        block.forward(new ParameterStore(manager, false), new NDList(input), false)
                                .singletonOrThrow();
                assertEquals(new Shape(2, 3, D), out.getShape());
                float[] actual = out.toFloatArray();
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 3; j++) {
                        for (int d = 0; d < D; d++) {
                            float e = table[ids[i][j] * D + d];
                            assertEquals(
                                    e,
                                    actual[(i * 3 + j) * D + d],
                                    FloatErrorBounds.gamma(2) * magnitudes[ids[i][j] * D + d],
                                    "token " + ids[i][j] + " dim " + d);
                        }
                    }
                }
            }
        }
    }

    @Test
    void outputHasTheScaleTypeAndScalarIdsWork() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(V, D, 4, 64, 3);
        try (NDManager manager = NDManager.newBaseManager()) {
            MetalQuantizedEmbedding block =
                    MetalQuantizedEmbedding.builder()
                            .setWeight(plain.toTensor(manager, DataType.FLOAT16))
                            .build();
            NDArray out = block.embed(manager.create(new long[] {5}).reshape(new Shape()));
            assertEquals(new Shape(D), out.getShape());
            assertEquals(DataType.FLOAT16, out.getDataType());
            float[] expected = new float[D];
            System.arraycopy(plain.dequantized(), 5 * D, expected, 0, D);
            // one rounding of code * scale + bias in float, then one to FLOAT16
            float[] actual = out.toType(DataType.FLOAT32, false).toFloatArray();
            float[] magnitudes = plain.affineMagnitudes();
            for (int d = 0; d < D; d++) {
                double bound = FloatErrorBounds.gamma(2) * magnitudes[5 * D + d];
                bound += FloatErrorBounds.toHalf(Math.abs(expected[d]) + bound);
                assertEquals(expected[d], actual[d], bound, "dimension " + d);
            }
            assertEquals(
                    new Shape(4, 0, D),
                    block.embed(manager.zeros(new Shape(4, 0), DataType.INT32)).getShape());
        }
    }

    @Test
    void projectTransposedMultipliesByTheTransposedTable() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(V, D, 4, 32, 4);
        try (NDManager manager = NDManager.newBaseManager()) {
            MetalQuantizedEmbedding block =
                    MetalQuantizedEmbedding.builder()
                            .setWeight(plain.toTensor(manager, DataType.FLOAT32))
                            .build();
            NDArray x = TestBlocks.randomArray(manager, new Shape(3, D), 5);
            NDArray logits = block.projectTransposed(x);
            assertEquals(new Shape(3, V), logits.getShape());
            ArrayAsserts.assertProductClose(
                    manager.create(plain.matmulTransposed(x.toFloatArray(), 3), new Shape(3, V)),
                    logits,
                    x,
                    plain.affineMagnitudes(),
                    null);
            NDArray x3 = x.reshape(1, 3, D);
            assertEquals(new Shape(1, 3, V), block.projectTransposed(x3).getShape());
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> block.projectTransposed(manager.zeros(new Shape(2, D - 1))));
            assertTrue(e.getMessage().contains(String.valueOf(D)), e.getMessage());
        }
    }

    @Test
    void rejectsOutOfRangeAndNonIntegerIds() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(V, D, 4, 32, 6);
        try (NDManager manager = NDManager.newBaseManager()) {
            MetalQuantizedEmbedding block =
                    MetalQuantizedEmbedding.builder()
                            .setWeight(plain.toTensor(manager, DataType.FLOAT32))
                            .build();
            IllegalArgumentException high =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> block.embed(manager.create(new int[] {3, V})));
            assertTrue(high.getMessage().contains("Token id " + V), high.getMessage());
            assertTrue(high.getMessage().contains("[0, " + V + ")"), high.getMessage());
            IllegalArgumentException low =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> block.embed(manager.create(new long[] {-1, 2})));
            assertTrue(low.getMessage().contains("Token id -1"), low.getMessage());
            IllegalArgumentException type =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> block.embed(manager.create(new float[] {1f})));
            assertTrue(type.getMessage().contains("FLOAT32"), type.getMessage());
        }
    }
}
