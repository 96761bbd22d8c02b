package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.QuantSpec;
import dev.djlmetal.quant.QuantizedTensor;
import dev.djlmetal.testing.FloatErrorBounds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CpuQuantizedMatmulTest {

    /** Every kernel this JVM can run, every bit width and every group size. */
    static Stream<Arguments> kernelsBitsAndGroups() {
        List<Arguments> cases = new ArrayList<>();
        List<String> kernels = new ArrayList<>(List.of("scalar"));
        if (CpuKernels.isVectorApiPresent()) {
            kernels.add("vector");
        }
        for (String kernel : kernels) {
            for (int bits : QuantSpec.SUPPORTED_BITS) {
                for (int groupSize : QuantSpec.SUPPORTED_GROUP_SIZES) {
                    cases.add(Arguments.of(kernel, bits, groupSize));
                }
            }
        }
        return cases.stream();
    }

    static CpuKernel kernel(String name) {
        return "vector".equals(name) ? CpuKernels.vector() : CpuKernels.scalar();
    }

    /**
     * Checks {@code x @ dequant(W)^T} against a double-precision reference within a tolerance
     * relative to {@code sum |x||w|}, for odd shapes (one row, seven rows, K of one group) and M =
     * 1, 3, 6 (a full and a partial tile of activation rows) and 17.
     */
    @ParameterizedTest(name = "{0} {1}-bit group {2}")
    @MethodSource("kernelsBitsAndGroups")
    void matchesReferenceForOddShapesAndRowCounts(String kernelName, int bits, int groupSize) {
        int[][] shapes = {{1, groupSize}, {7, groupSize}, {37, 3 * groupSize}, {16, 4 * groupSize}};
        CpuQuantizedMatmul backend = new CpuQuantizedMatmul(kernel(kernelName));
        try (NDManager manager = NDManager.newBaseManager()) {
            int seed = 0;
            for (int[] nk : shapes) {
                RandomQuantized q = new RandomQuantized(nk[0], nk[1], bits, groupSize, ++seed);
                QuantizedTensor tensor = q.toTensor(manager, DataType.FLOAT32);
                try (CpuPreparedWeight weight = backend.prepare(tensor)) {
                    assertEquals(0, weight.extraResidentBytes());
                    for (int m : new int[] {1, 3, 6, 17}) {
                        checkProduct(manager, q, weight, m, DataType.FLOAT32);
                    }
                    checkProduct(manager, q, weight, 5, DataType.FLOAT16);
                    checkProduct(manager, q, weight, 1, DataType.FLOAT16);
                }
            }
        }
    }

    static void checkProduct(
            NDManager manager, RandomQuantized q, CpuPreparedWeight weight, int m, DataType type) {
        float[] x = q.activations(m, 1000L * m + q.rows);
        NDArray input = manager.create(x, new Shape(m, q.columns)).toType(type, false);
        if (type != DataType.FLOAT32) {
            x = input.toType(DataType.FLOAT32, false).toFloatArray();
        }
        NDArray output = weight.apply(input);
        assertEquals(new Shape(m, q.rows), output.getShape());
        assertEquals(type, output.getDataType());
        float[] got = output.toType(DataType.FLOAT32, false).toFloatArray();
        checkAgainstReference(q, x, m, got, type, weight.kernelName());
    }

    /**
     * Checks products against the double-precision reference within the float32 error bound of the
     * computation (plus the rounding to FLOAT16 for half-precision outputs).
     */
    static void checkAgainstReference(
            RandomQuantized q, float[] x, int m, float[] got, DataType type, String kernelName) {
        new Expected(q, x, m).check(got, type, kernelName);
    }

    /** The reference products of one activation matrix, computed once and checked many times. */
    static final class Expected {

        private final RandomQuantized q;
        private final int m;
        private final double[] magnitude;
        private final double[] values;

        Expected(RandomQuantized q, float[] x, int m) {
            this.q = q;
            this.m = m;
            this.magnitude = new double[m * q.rows];
            this.values = q.reference(x, m, magnitude);
        }

        void check(float[] got, DataType type, String what) {
            assertEquals(values.length, got.length, what + ": output length");
            for (int i = 0; i < got.length; i++) {
                double allowed = FloatErrorBounds.affineProduct(q.columns, magnitude[i]);
                if (type == DataType.FLOAT16) {
                    allowed += FloatErrorBounds.toHalf(Math.abs(values[i]) + allowed);
                }
                if (!(Math.abs(values[i] - got[i]) <= allowed)) {
                    assertEquals(
                            values[i],
                            got[i],
                            allowed,
                            String.format(
                                    "%s %d-bit g%d N=%d K=%d M=%d %s at %d",
                                    what, q.bits, q.groupSize, q.rows, q.columns, m, type, i));
                }
            }
        }
    }

    /**
     * Products large enough to be split across the calling thread and the pool match the reference
     * on every call: a call must not return while a pool worker is still writing its rows (the
     * output memory is uninitialized, so a missed range shows). Calls are compared with the
     * reference within the rounding bound, not with each other bit for bit: the JIT may replace the
     * Vector API's interpreted fallback by compiled code between calls, which sums lanes in another
     * order.
     */
    @ParameterizedTest(name = "{0}-bit")
    @ValueSource(ints = {2, 4, 8, 3})
    void productsSplitAcrossThreadsWriteEveryRowOnEveryCall(int bits) {
        RandomQuantized q = new RandomQuantized(700, 512, bits, 128, 21);
        CpuQuantizedMatmul backend = fourThreads(kernel("vector"));
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedTensor tensor = q.toTensor(manager, DataType.FLOAT32);
            try (CpuPreparedWeight weight = backend.prepare(tensor)) {
                for (int m : new int[] {1, 3}) {
                    checkProduct(manager, q, weight, m, DataType.FLOAT32);
                    float[] activations = q.activations(m, 5);
                    NDArray x = manager.create(activations, new Shape(m, q.columns));
                    Expected expected = new Expected(q, activations, m);
                    for (int call = 0; call < 300; call++) {
                        try (NDArray again = weight.apply(x)) {
                            expected.check(
                                    again.toFloatArray(),
                                    DataType.FLOAT32,
                                    weight.kernelName() + " call " + call);
                        }
                    }
                }
            }
        }
    }

    @Test
    void halfPrecisionScalesAreConvertedOnceAndCounted() {
        RandomQuantized q = new RandomQuantized(9, 128, 4, 64, 7);
        try (NDManager manager = NDManager.newBaseManager()) {
            q.roundScalesToHalf(manager);
            QuantizedTensor tensor = q.toTensor(manager, DataType.FLOAT16);
            CpuQuantizedMatmul backend = new CpuQuantizedMatmul(CpuKernels.scalar());
            try (CpuPreparedWeight weight = backend.prepare(tensor)) {
                assertEquals(2L * 9 * 2 * 4, weight.extraResidentBytes());
                checkProduct(manager, q, weight, 1, DataType.FLOAT32);
                checkProduct(manager, q, weight, 4, DataType.FLOAT32);
            }
        }
    }

    /** A backend whose products use four threads, whatever this machine's processor count. */
    static CpuQuantizedMatmul fourThreads(CpuKernel kernel) {
        return new CpuQuantizedMatmul(
                kernel, CpuQuantizedMatmul.DEFAULT_BLAS_MIN_ROWS, RowParallel.withThreads(4));
    }

    /**
     * Several application threads share the backend's pool: each product still writes every row and
     * agrees with the reference, on the matrix-vector path (M = 1), the blocked path (M = 3) and
     * the chunked prefill path with its per-thread scratch buffers (M = 20).
     */
    @Test
    void concurrentCallersShareThePoolWithoutMixingRows() throws Exception {
        RandomQuantized q = new RandomQuantized(900, 512, 4, 64, 31);
        CpuQuantizedMatmul backend = fourThreads(kernel("vector"));
        int[] rowsPerCaller = {1, 3, 20, 20, 1, 3};
        int callers = rowsPerCaller.length;
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedTensor tensor = q.toTensor(manager, DataType.FLOAT32);
            try (CpuPreparedWeight weight = backend.prepare(tensor)) {
                NDArray[] inputs = new NDArray[callers];
                Expected[] expected = new Expected[callers];
                for (int t = 0; t < callers; t++) {
                    int m = rowsPerCaller[t];
                    float[] activations = q.activations(m, 100 + t);
                    inputs[t] = manager.create(activations, new Shape(m, q.columns));
                    expected[t] = new Expected(q, activations, m);
                }
                ExecutorService pool = Executors.newFixedThreadPool(callers);
                try {
                    List<Future<?>> results = new ArrayList<>();
                    for (int t = 0; t < callers; t++) {
                        int caller = t;
                        results.add(
                                pool.submit(
                                        () -> {
                                            for (int call = 0; call < 60; call++) {
                                                try (NDArray out = weight.apply(inputs[caller])) {
                                                    expected[caller].check(
                                                            out.toFloatArray(),
                                                            DataType.FLOAT32,
                                                            "caller " + caller + ", call " + call);
                                                }
                                            }
                                            return null;
                                        }));
                    }
                    for (Future<?> result : results) {
                        result.get();
                    }
                } finally {
                    pool.shutdownNow();
                }
            }
        }
    }

    /**
     * A weight prepared on first use inside a caller's {@link NDScope} (as a generation step does)
     * keeps its converted scales when that scope closes.
     */
    @Test
    void weightPreparedInsideAnNDScopeOutlivesTheScope() {
        RandomQuantized q = new RandomQuantized(9, 128, 4, 64, 8);
        try (NDManager manager = NDManager.newBaseManager()) {
            q.roundScalesToHalf(manager);
            QuantizedTensor tensor = q.toTensor(manager, DataType.FLOAT16);
            CpuQuantizedMatmul backend = new CpuQuantizedMatmul(kernel("vector"));
            CpuPreparedWeight weight;
            try (NDScope ignored = new NDScope()) {
                weight = backend.prepare(tensor);
                checkProduct(manager, q, weight, 1, DataType.FLOAT32);
            }
            try (weight) {
                checkProduct(manager, q, weight, 1, DataType.FLOAT32);
                checkProduct(manager, q, weight, 20, DataType.FLOAT32);
            }
        }
    }

    @Test
    void readsTheTensorMemoryWithoutCopying() {
        RandomQuantized q = new RandomQuantized(5, 64, 4, 32, 11);
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedTensor tensor = q.toTensor(manager, DataType.FLOAT32);
            try (CpuPreparedWeight weight =
                    new CpuQuantizedMatmul(CpuKernels.scalar()).prepare(tensor)) {
                // Change codes, scales and biases in place with PyTorch operations: a prepared
                // weight that had copied them would still compute with the old values.
                tensor.packed().subi(tensor.packed());
                tensor.scales().muli(2);
                tensor.biases().addi(1);
                for (int n = 0; n < q.rows; n++) {
                    Arrays.fill(q.codes[n], 0);
                }
                for (int i = 0; i < q.scales.length; i++) {
                    q.scales[i] *= 2;
                    q.biases[i] += 1;
                }
                checkProduct(manager, q, weight, 1, DataType.FLOAT32);
                checkProduct(manager, q, weight, 3, DataType.FLOAT32);
            }
        }
    }

    @Test
    void keepsLeadingDimensionsOfTheActivations() {
        RandomQuantized q = new RandomQuantized(6, 64, 8, 64, 3);
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedTensor tensor = q.toTensor(manager, DataType.FLOAT32);
            try (CpuPreparedWeight weight =
                    new CpuQuantizedMatmul(CpuKernels.scalar()).prepare(tensor)) {
                float[] x = q.activations(6, 5);
                NDArray out = weight.apply(manager.create(x, new Shape(2, 3, 64)));
                assertEquals(new Shape(2, 3, 6), out.getShape());
                NDArray flat = weight.apply(manager.create(x, new Shape(6, 64)));
                assertTrue(out.reshape(6, 6).contentEquals(flat));
                NDArray vector = weight.apply(manager.create(new float[64], new Shape(64)));
                assertEquals(new Shape(6), vector.getShape());
            }
        }
    }

    @Test
    void rejectsBadActivationsAndClosedWeights() {
        RandomQuantized q = new RandomQuantized(4, 64, 2, 32, 4);
        try (NDManager manager = NDManager.newBaseManager()) {
            QuantizedTensor tensor = q.toTensor(manager, DataType.FLOAT32);
            CpuPreparedWeight weight = new CpuQuantizedMatmul(CpuKernels.scalar()).prepare(tensor);
            IllegalArgumentException wrongK =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> weight.apply(manager.zeros(new Shape(2, 63))));
            assertTrue(wrongK.getMessage().contains("K=64"), wrongK.getMessage());
            IllegalArgumentException wrongType =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> weight.apply(manager.zeros(new Shape(2, 64), DataType.INT32)));
            assertTrue(
                    wrongType.getMessage().toLowerCase().contains("int32"), wrongType.getMessage());
            tensor.close();
            assertThrows(
                    IllegalStateException.class, () -> weight.apply(manager.zeros(new Shape(64))));
        }
    }

    @Test
    void vectorKernelCanBeTurnedOffBySettingOrSystemProperty() {
        Assumptions.assumeTrue(CpuKernels.isVectorApiPresent(), "needs the Vector API module");
        BackendSettingsHolder settings = new BackendSettingsHolder();
        assertTrue(new CpuQuantizedMatmul(settings.defaults).kernelName().startsWith("vector"));
        assertEquals("scalar", new CpuQuantizedMatmul(settings.vectorOff).kernelName());
        String previous = System.getProperty(CpuKernels.VECTOR_PROPERTY);
        System.setProperty(CpuKernels.VECTOR_PROPERTY, "false");
        try {
            assertEquals("scalar", new CpuQuantizedMatmul(settings.defaults).kernelName());
        } finally {
            if (previous == null) {
                System.clearProperty(CpuKernels.VECTOR_PROPERTY);
            } else {
                System.setProperty(CpuKernels.VECTOR_PROPERTY, previous);
            }
        }
    }

    /** Backend settings with and without the vector kernel. */
    private static final class BackendSettingsHolder {
        final dev.djlmetal.backend.BackendSettings defaults =
                dev.djlmetal.backend.BackendSettings.defaults();
        final dev.djlmetal.backend.BackendSettings vectorOff =
                dev.djlmetal.backend.BackendSettings.builder()
                        .optProperty(CpuKernels.VECTOR_SETTING, "false")
                        .build();
    }
}
