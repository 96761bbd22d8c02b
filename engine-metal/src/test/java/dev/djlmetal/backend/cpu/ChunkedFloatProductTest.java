package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.quant.ReferenceQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The prefill path of the cpu backend (row chunks dequantized and multiplied by the engine) against
 * {@link ReferenceQuantizer#matmulTransposed}, for every kernel, bit width and group size, and the
 * threshold that chooses it.
 */
class ChunkedFloatProductTest {

    private static ReferenceQuantizer.Result quantized(int rows, int columns, int bits, int group) {
        return ReferenceQuantizer.quantize(
                ReferenceAgreementTest.gaussian(rows * columns, 31L * rows + bits + group),
                rows,
                columns,
                bits,
                group);
    }

    /**
     * Products through {@code apply} at the default threshold (M = 15 stays fused, M = 16 and 40
     * take the chunked path), FLOAT32 and FLOAT16 activations, N = 37.
     */
    @ParameterizedTest(name = "{0} {1}-bit group {2}")
    @MethodSource("dev.djlmetal.backend.cpu.CpuQuantizedMatmulTest#kernelsBitsAndGroups")
    void agreesWithTheReferenceAroundTheThreshold(String kernelName, int bits, int groupSize) {
        CpuQuantizedMatmul backend =
                new CpuQuantizedMatmul(CpuQuantizedMatmulTest.kernel(kernelName));
        ReferenceQuantizer.Result q = quantized(37, 3 * groupSize, bits, groupSize);
        try (NDManager manager = NDManager.newBaseManager();
                CpuPreparedWeight weight = backend.prepare(q.toTensor(manager, DataType.FLOAT32))) {
            int threshold = CpuQuantizedMatmul.DEFAULT_BLAS_MIN_ROWS;
            assertEquals(CpuPreparedWeight.FUSED_PATH, weight.pathName(threshold - 1));
            assertEquals(CpuPreparedWeight.BLAS_PATH, weight.pathName(threshold));
            for (int m : new int[] {threshold - 1, threshold, 40}) {
                ReferenceAgreementTest.check(manager, q, weight, m, DataType.FLOAT32);
            }
            ReferenceAgreementTest.check(manager, q, weight, threshold, DataType.FLOAT16);
            ReferenceAgreementTest.check(manager, q, weight, 40, DataType.FLOAT16);
        }
    }

    /** Several chunks whose last one is partial: N = 37 in chunks of 8 (and of one strip). */
    @ParameterizedTest(name = "{0} {1}-bit group {2}")
    @MethodSource("dev.djlmetal.backend.cpu.CpuQuantizedMatmulTest#kernelsBitsAndGroups")
    void splitsRowsIntoChunksWithAPartialLastOne(String kernelName, int bits, int groupSize) {
        CpuKernel kernel = CpuQuantizedMatmulTest.kernel(kernelName);
        int m = 19;
        int n = 37;
        int k = 2 * groupSize;
        ReferenceQuantizer.Result q = quantized(n, k, bits, groupSize);
        float[] x = ReferenceAgreementTest.gaussian(m * k, 5);
        float[] expected = ReferenceQuantizer.matmulTransposed(x, m, q);
        try (NDManager manager = NDManager.newBaseManager();
                PackedMatrix matrix = new PackedMatrix(q.toTensor(manager, DataType.FLOAT32))) {
            NDArray input = manager.create(x, new Shape(m, k));
            for (int chunkRows : new int[] {8, 16}) {
                NDArray out =
                        ChunkedFloatProduct.multiply(
                                matrix,
                                kernel,
                                input,
                                m,
                                chunkRows,
                                RowParallel.withThreads(1),
                                manager);
                assertEquals(new Shape(m, n), out.getShape());
                assertEquals(manager, out.getManager());
                ReferenceAgreementTest.assertWithinBound(
                        q,
                        x,
                        m,
                        expected,
                        out.toFloatArray(),
                        DataType.FLOAT32,
                        q.spec() + " chunks of " + chunkRows);
            }
        }
    }

    /**
     * Chunks dequantized by several threads (enough rows per chunk to be split) give the very
     * product of one thread, within the reference's bound.
     */
    @Test
    void severalThreadsDequantizeAChunkAsOneDoes() {
        CpuKernel kernel = CpuKernels.vector();
        int m = 16;
        int n = 300;
        int k = 1024;
        ReferenceQuantizer.Result q = quantized(n, k, 4, 64);
        float[] x = ReferenceAgreementTest.gaussian(m * k, 6);
        float[] expected = ReferenceQuantizer.matmulTransposed(x, m, q);
        try (NDManager manager = NDManager.newBaseManager();
                PackedMatrix matrix = new PackedMatrix(q.toTensor(manager, DataType.FLOAT32))) {
            NDArray input = manager.create(x, new Shape(m, k));
            float[] one =
                    ChunkedFloatProduct.multiply(
                                    matrix,
                                    kernel,
                                    input,
                                    m,
                                    128,
                                    RowParallel.withThreads(1),
                                    manager)
                            .toFloatArray();
            float[] three =
                    ChunkedFloatProduct.multiply(
                                    matrix,
                                    kernel,
                                    input,
                                    m,
                                    128,
                                    RowParallel.withThreads(3),
                                    manager)
                            .toFloatArray();
            assertArrayEquals(one, three);
            ReferenceAgreementTest.assertWithinBound(
                    q, x, m, expected, three, DataType.FLOAT32, "three threads");
        }
    }

    @Test
    void chunksHoldAboutTwoMegabytesOfWholeStrips() {
        ReferenceQuantizer.Result q = quantized(600, 2048, 4, 64);
        try (NDManager manager = NDManager.newBaseManager();
                PackedMatrix matrix = new PackedMatrix(q.toTensor(manager, DataType.FLOAT32))) {
            assertEquals(256, ChunkedFloatProduct.chunkRows(matrix, CpuKernels.scalar()));
        }
        ReferenceQuantizer.Result small = quantized(5, 64, 4, 64);
        try (NDManager manager = NDManager.newBaseManager();
                PackedMatrix matrix = new PackedMatrix(small.toTensor(manager, DataType.FLOAT32))) {
            assertEquals(5, ChunkedFloatProduct.chunkRows(matrix, CpuKernels.scalar()));
        }
    }

    @Test
    void thresholdComesFromTheBackendSetting() {
        ReferenceQuantizer.Result q = quantized(9, 64, 4, 32);
        BackendSettings fourRows =
                BackendSettings.builder()
                        .optProperty(CpuQuantizedMatmul.BLAS_MIN_ROWS_SETTING, "4")
                        .build();
        try (NDManager manager = NDManager.newBaseManager();
                CpuPreparedWeight defaults =
                        new CpuQuantizedMatmul(BackendSettings.defaults())
                                .prepare(q.toTensor(manager, DataType.FLOAT32));
                CpuPreparedWeight lowered =
                        new CpuQuantizedMatmul(fourRows)
                                .prepare(q.toTensor(manager, DataType.FLOAT32))) {
            assertEquals(CpuPreparedWeight.FUSED_PATH, defaults.pathName(4));
            assertEquals(CpuPreparedWeight.FUSED_PATH, lowered.pathName(3));
            assertEquals(CpuPreparedWeight.BLAS_PATH, lowered.pathName(4));
            ReferenceAgreementTest.check(manager, q, lowered, 4, DataType.FLOAT32);
        }
        for (String bad : new String[] {"0", "-3", "many"}) {
            BackendSettings settings =
                    BackendSettings.builder()
                            .optProperty(CpuQuantizedMatmul.BLAS_MIN_ROWS_SETTING, bad)
                            .build();
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class, () -> new CpuQuantizedMatmul(settings));
            assertTrue(
                    e.getMessage().contains(CpuQuantizedMatmul.BLAS_MIN_ROWS_SETTING)
                            && e.getMessage().contains("'" + bad + "'"),
                    e.getMessage());
        }
    }
}
