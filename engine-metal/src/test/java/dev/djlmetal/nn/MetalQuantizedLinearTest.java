package dev.djlmetal.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.ndarray.NDArrayQuantizedMatmul;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MetalQuantizedLinearTest {

    private static final int N = 40;
    private static final int K = 128;

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 6, 8})
    void matchesFloatLinearOverDequantizedWeight(int bits) {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(N, K, bits, 32, 100 + bits);
        Shape[] inputShapes = {
            new Shape(1, K), new Shape(7, K), new Shape(1, 1, K), new Shape(2, 5, K)
        };
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray bias = TestBlocks.randomArray(manager, new Shape(N), 9);
            for (boolean withBias : new boolean[] {false, true}) {
                Linear reference =
                        TestBlocks.floatLinear(
                                plain.dequantizedArray(manager), withBias ? bias : null);
                for (boolean cached : new boolean[] {false, true}) {
                    MetalQuantizedLinear block =
                            MetalQuantizedLinear.builder()
                                    .setWeight(plain.toTensor(manager, DataType.FLOAT32))
                                    .optBias(withBias ? bias.duplicate() : null)
                                    .optBackend(
                                            new NDArrayQuantizedMatmul(
                                                    BackendSettings.builder()
                                                            .optCacheDequantized(cached)
                                                            .build()))
                                    .build();
                    for (Shape shape : inputShapes) {
                        NDArray x = TestBlocks.randomArray(manager, shape, shape.size());
                        NDArray expected = TestBlocks.forward(reference, manager, x);
                        NDArray actual = TestBlocks.forward(block, manager, x);
                        ArrayAsserts.assertProductClose(
                                expected,
                                actual,
                                x,
                                plain.affineMagnitudes(),
                                withBias ? bias : null);
                        assertArrayEquals(
                                block.getOutputShapes(new Shape[] {shape})[0].getShape(),
                                actual.getShape().getShape());
                    }
                    assertEquals(cached ? (long) N * K * 4 : 0, block.getBackendResidentBytes());
                    block.close();
                }
            }
        }
    }

    @Test
    void cachedAndUncachedAgree() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(N, K, 4, 64, 11);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = TestBlocks.randomArray(manager, new Shape(3, 4, K), 12);
            NDArray[] outputs = new NDArray[2];
            for (int i = 0; i < 2; i++) {
                MetalQuantizedLinear block =
                        MetalQuantizedLinear.builder()
                                .setWeight(plain.toTensor(manager, DataType.FLOAT16))
                                .optBackend(
                                        new NDArrayQuantizedMatmul(
                                                BackendSettings.builder()
                                                        .optCacheDequantized(i == 1)
                                                        .build()))
                                .build();
                outputs[i] = block.apply(x);
            }
            ArrayAsserts.assertClose(outputs[0], outputs[1], 0, 0);
        }
    }

    @Test
    void concurrentFirstForwardsPrepareTheWeightOnce() throws Exception {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(N, K, 4, 32, 21);
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (NDManager manager = NDManager.newBaseManager();
                NDManager weights = manager.newSubManager()) {
            MetalQuantizedLinear block =
                    MetalQuantizedLinear.builder()
                            .setWeight(plain.toTensor(weights, DataType.FLOAT32))
                            .optBackend(
                                    new NDArrayQuantizedMatmul(
                                            BackendSettings.builder()
                                                    .optCacheDequantized(true)
                                                    .build()))
                            .build();
            int arraysBefore = weights.getManagedArrays().size();
            float[] x = new float[2 * K];
            for (int i = 0; i < x.length; i++) {
                x[i] = (i % 7) - 3;
            }
            float[] expected = plain.matmulTransposed(x, 2);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<float[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(
                        pool.submit(
                                () -> {
                                    try (NDManager local = NDManager.newBaseManager()) {
                                        NDArray input = local.create(x, new Shape(2, K));
                                        start.await();
                                        return block.apply(input).toFloatArray();
                                    }
                                }));
            }
            start.countDown();
            NDArray input = manager.create(x, new Shape(2, K));
            NDArray reference = manager.create(expected, new Shape(2, N));
            for (Future<float[]> result : results) {
                ArrayAsserts.assertProductClose(
                        reference,
                        manager.create(result.get(), new Shape(2, N)),
                        input,
                        plain.affineMagnitudes(),
                        null);
            }
            assertEquals(arraysBefore + 1, weights.getManagedArrays().size());
            assertEquals((long) N * K * 4, block.getBackendResidentBytes());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void float16ActivationsGiveFloat16Output() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(N, K, 4, 64, 13);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray bias = TestBlocks.randomArray(manager, new Shape(N), 14);
            MetalQuantizedLinear block =
                    MetalQuantizedLinear.builder()
                            .setWeight(plain.toTensor(manager, DataType.FLOAT16))
                            .optBias(bias)
                            .build();
            NDArray x32 = TestBlocks.randomArray(manager, new Shape(2, 3, K), 15);
            NDArray x16 = x32.toType(DataType.FLOAT16, false);
            NDArray y = TestBlocks.forward(block, manager, x16);
            assertEquals(DataType.FLOAT16, y.getDataType());
            NDArray expected =
                    Linear.linear(
                                    x16.toType(DataType.FLOAT32, false),
                                    plain.dequantizedArray(manager),
                                    bias)
                            .singletonOrThrow();
            ArrayAsserts.assertProductClose(
                    expected,
                    y,
                    x16.toType(DataType.FLOAT32, false),
                    plain.affineMagnitudes(),
                    bias);
        }
    }

    @Test
    void exposesFrozenParametersAndShapes() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(N, K, 5, 32, 16);
        try (NDManager manager = NDManager.newBaseManager()) {
            MetalQuantizedLinear block =
                    MetalQuantizedLinear.builder()
                            .setWeight(plain.toTensor(manager, DataType.FLOAT16))
                            .optBias(manager.zeros(new Shape(N)))
                            .build();
            assertEquals(K, block.getInFeatures());
            assertEquals(N, block.getOutFeatures());
            assertEquals(5, block.getQuantizedWeight().bits());
            assertEquals(
                    List.of("weight", "scales", "biases", "bias"),
                    block.getDirectParameters().keys());
            Parameter weight = block.getDirectParameters().get("weight");
            assertEquals(Parameter.Type.WEIGHT, weight.getType());
            assertEquals(new Shape(N, K * 5 / 32), weight.getArray().getShape());
            assertEquals(DataType.INT32, weight.getArray().getDataType());
            assertEquals(Parameter.Type.OTHER, block.getDirectParameters().get("scales").getType());
            assertEquals(Parameter.Type.BIAS, block.getDirectParameters().get("bias").getType());
            for (Parameter p : block.getDirectParameters().values()) {
                assertFalse(p.requiresGradient(), p.getName());
                assertTrue(p.isInitialized(), p.getName());
            }
            assertTrue(block.isInitialized());
            assertEquals(
                    new Shape(2, 9, N), block.getOutputShapes(new Shape[] {new Shape(2, 9, K)})[0]);
        }
    }

    @Test
    void rejectsWrongInputWidthNamingK() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(N, K, 4, 32, 17);
        try (NDManager manager = NDManager.newBaseManager()) {
            MetalQuantizedLinear block =
                    MetalQuantizedLinear.builder()
                            .setWeight(plain.toTensor(manager, DataType.FLOAT32))
                            .build();
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    TestBlocks.forward(
                                            block, manager, manager.zeros(new Shape(2, K + 1))));
            assertTrue(e.getMessage().contains("in_features=" + K), e.getMessage());
            assertTrue(e.getMessage().contains("(2, 129)"), e.getMessage());
        }
    }

    @Test
    void builderValidatesWeightAndBias() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(N, K, 4, 32, 18);
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThrows(
                    IllegalArgumentException.class, () -> MetalQuantizedLinear.builder().build());
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () ->
                                    MetalQuantizedLinear.builder()
                                            .setWeight(plain.toTensor(manager, DataType.FLOAT32))
                                            .optBias(manager.zeros(new Shape(N + 1)))
                                            .build());
            assertTrue(e.getMessage().contains("expected [" + N + "]"), e.getMessage());
        }
    }

    @Test
    void closeReleasesArraysAndDjlFormatIsRefused() {
        PlainQuantizedMatrix plain = PlainQuantizedMatrix.random(N, K, 4, 32, 19);
        try (NDManager manager = NDManager.newBaseManager()) {
            MetalQuantizedLinear block =
                    MetalQuantizedLinear.builder()
                            .setWeight(plain.toTensor(manager, DataType.FLOAT32))
                            .build();
            UnsupportedOperationException e =
                    assertThrows(
                            UnsupportedOperationException.class,
                            () ->
                                    block.saveParameters(
                                            new DataOutputStream(new ByteArrayOutputStream())));
            assertTrue(e.getMessage().contains("safetensors"), e.getMessage());
            NDArray packed = block.getQuantizedWeight().packed();
            block.apply(manager.zeros(new Shape(1, K)));
            block.close();
            assertTrue(packed.isReleased());
            assertThrows(
                    IllegalStateException.class, () -> block.apply(manager.zeros(new Shape(1, K))));
        }
    }
}
