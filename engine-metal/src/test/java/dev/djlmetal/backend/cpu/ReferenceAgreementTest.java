package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.QuantSpec;
import dev.djlmetal.quant.ReferenceQuantizer;
import dev.djlmetal.testing.FloatErrorBounds;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cpu backend against {@link ReferenceQuantizer}: bit-exact codes, and products within a float
 * tolerance relative to {@code sum |x| |w|}, for every kernel, bit width and group size.
 */
class ReferenceAgreementTest {

    static float[] gaussian(int length, long seed) {
        Random random = new Random(seed);
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    static IntStream widths() {
        return Arrays.stream(QuantSpec.SUPPORTED_BITS);
    }

    @ParameterizedTest(name = "{0}-bit")
    @MethodSource("widths")
    void extractsTheReferenceCodesBitExactly(int bits) {
        int rows = 5;
        int columns = 384;
        ReferenceQuantizer.Result q =
                ReferenceQuantizer.quantize(
                        gaussian(rows * columns, bits), rows, columns, bits, 128);
        int[] codes = q.codes();
        ByteBuffer packed =
                ByteBuffer.allocateDirect(q.packed().length * 4).order(ByteOrder.nativeOrder());
        packed.asIntBuffer().put(q.packed());
        int rowBytes = columns * bits / 8;
        float[] decoded = new float[columns];
        for (int n = 0; n < rows; n++) {
            CodeDecoder.decode(packed, n * rowBytes, 0, columns, bits, decoded, 0);
            int[] row = new int[columns];
            int[] single = new int[columns];
            for (int k = 0; k < columns; k++) {
                row[k] = (int) decoded[k];
                single[k] = CodeDecoder.code(packed, n * rowBytes, k, bits);
            }
            int[] expected = new int[columns];
            System.arraycopy(codes, n * columns, expected, 0, columns);
            assertArrayEquals(expected, row, "decode, row " + n);
            assertArrayEquals(expected, single, "code, row " + n);
        }
    }

    @ParameterizedTest(name = "{0} {1}-bit group {2}")
    @MethodSource("dev.djlmetal.backend.cpu.CpuQuantizedMatmulTest#kernelsBitsAndGroups")
    void productsAgreeWithTheReference(String kernelName, int bits, int groupSize) {
        int[][] shapes = {{1, groupSize}, {7, groupSize}, {33, 3 * groupSize}};
        CpuQuantizedMatmul backend =
                new CpuQuantizedMatmul(CpuQuantizedMatmulTest.kernel(kernelName));
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int[] nk : shapes) {
                int rows = nk[0];
                int columns = nk[1];
                ReferenceQuantizer.Result q =
                        ReferenceQuantizer.quantize(
                                gaussian(rows * columns, rows + columns),
                                rows,
                                columns,
                                bits,
                                groupSize);
                try (CpuPreparedWeight weight =
                        backend.prepare(q.toTensor(manager, DataType.FLOAT32))) {
                    for (int m : new int[] {1, 3, 17}) {
                        check(manager, q, weight, m, DataType.FLOAT32);
                    }
                    check(manager, q, weight, 1, DataType.FLOAT16);
                    check(manager, q, weight, 3, DataType.FLOAT16);
                }
            }
            ReferenceQuantizer.Result half =
                    ReferenceQuantizer.quantize(
                            gaussian(9 * 2 * groupSize, 99),
                            9,
                            2 * groupSize,
                            bits,
                            groupSize,
                            DataType.FLOAT16);
            try (CpuPreparedWeight weight =
                    backend.prepare(half.toTensor(manager, DataType.FLOAT16))) {
                check(manager, half, weight, 1, DataType.FLOAT32);
                check(manager, half, weight, 17, DataType.FLOAT32);
            }
        }
    }

    static void check(
            NDManager manager,
            ReferenceQuantizer.Result q,
            CpuPreparedWeight weight,
            int m,
            DataType type) {
        int k = q.columns();
        int n = q.rows();
        NDArray input =
                manager.create(gaussian(m * k, 7L * m + n), new Shape(m, k)).toType(type, false);
        float[] x = input.toType(DataType.FLOAT32, false).toFloatArray();
        float[] expected = ReferenceQuantizer.matmulTransposed(x, m, q);
        NDArray output = weight.apply(input);
        assertEquals(new Shape(m, n), output.getShape());
        assertEquals(type, output.getDataType());
        float[] got = output.toType(DataType.FLOAT32, false).toFloatArray();
        String where =
                String.format(
                        "%s %s N=%d K=%d M=%d %s", weight.kernelName(), q.spec(), n, k, m, type);
        assertWithinBound(q, x, m, expected, got, type, where);
    }

    /**
     * Asserts products within the float32 error bound of the computation (see {@link
     * FloatErrorBounds#affineProduct}) of the reference, plus the rounding to FLOAT16 for
     * half-precision outputs.
     */
    static void assertWithinBound(
            ReferenceQuantizer.Result q,
            float[] x,
            int m,
            float[] expected,
            float[] got,
            DataType type,
            String where) {
        int k = q.columns();
        int n = q.rows();
        int[] codes = q.codes();
        float[] scales = q.scales();
        float[] biases = q.biases();
        int groups = k / q.groupSize();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double magnitude = 0;
                for (int c = 0; c < k; c++) {
                    int g = j * groups + c / q.groupSize();
                    double term =
                            Math.abs((double) codes[j * k + c] * scales[g]) + Math.abs(biases[g]);
                    magnitude += term * Math.abs(x[i * k + c]);
                }
                double allowed = FloatErrorBounds.affineProduct(k, magnitude);
                // the reference rounds each dequantized weight to float and its double sum once
                allowed +=
                        FloatErrorBounds.FLOAT32_UNIT_ROUNDOFF
                                * (magnitude + Math.abs(expected[i * n + j]));
                if (type == DataType.FLOAT16) {
                    allowed += FloatErrorBounds.toHalf(Math.abs(expected[i * n + j]) + allowed);
                }
                assertEquals(
                        expected[i * n + j],
                        got[i * n + j],
                        allowed,
                        where + " at [" + i + ", " + j + "]");
            }
        }
    }
}
