package dev.djlmetal.backend.metal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.quant.QuantSpec;
import dev.djlmetal.quant.QuantizedTensor;
import dev.djlmetal.quant.ReferenceQuantizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The {@code affine_qmm_t} cases every device runs (the CPU emulator, the Objective-C layer on the
 * stand-in, the Apple GPU), so that each device is held to the same shapes: edges of both kernels,
 * 3-D activations, and K above 512, where the decode kernel's SIMD group makes more than one pass
 * over K (32 lanes x 16 inputs per pass) and the tiled kernel steps through many 64-wide K tiles.
 */
public final class QmmCases {

    /** K of the multi-pass decode case: three passes of 512, the last one partial. */
    public static final int DECODE_LONG_K = 1152;

    /** K of the multi-step tiled case: ten 64-wide steps. */
    public static final int TILED_LONG_K = 640;

    private QmmCases() {}

    /**
     * Returns every kernel variant: activation type, bits and group size.
     *
     * @return the 36 (type, bits, group size) triples, each naming one decode and one tiled kernel
     */
    public static List<Arguments> variants() {
        List<Arguments> variants = new ArrayList<>();
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
            for (int bits : QuantSpec.SUPPORTED_BITS) {
                for (int groupSize : QuantSpec.SUPPORTED_GROUP_SIZES) {
                    variants.add(Arguments.of(type, bits, groupSize));
                }
            }
        }
        return variants;
    }

    /**
     * Returns the cases served by the decode kernel (at most {@code decodeMaxRows} rows).
     *
     * @param type the activation type
     * @param bits the code width
     * @param groupSize the group size
     * @param decodeMaxRows the backend's decode threshold (at least 6)
     * @return the cases
     */
    public static List<QmmCase> decode(DataType type, int bits, int groupSize, int decodeMaxRows) {
        int rowsPerThreadgroup =
                AffineQmmKernels.DECODE_SIMDGROUPS * AffineQmmKernels.DECODE_ROWS_PER_SIMDGROUP;
        return List.of(
                // M = 1, K = one group, N not a multiple of the rows per threadgroup.
                new QmmCase(
                        bits, groupSize, type, new Shape(1, groupSize), 2 * rowsPerThreadgroup + 3),
                // M at the threshold, leading dimensions folded, several groups.
                new QmmCase(
                        bits, groupSize, type, new Shape(2, decodeMaxRows / 2, 2 * groupSize), 5),
                // 3-D input, K over 512: three passes of a SIMD group over K, the last partial.
                new QmmCase(bits, groupSize, type, new Shape(2, 3, DECODE_LONG_K), 11));
    }

    /**
     * Returns the cases served by the tiled kernel (more than {@code decodeMaxRows} rows).
     *
     * @param type the activation type
     * @param bits the code width
     * @param groupSize the group size
     * @param decodeMaxRows the backend's decode threshold
     * @return the cases
     */
    public static List<QmmCase> tiled(DataType type, int bits, int groupSize, int decodeMaxRows) {
        return List.of(
                // M just above the threshold; K = 3 groups (96 for group size 32: not a multiple
                // of the 64-wide K tile).
                new QmmCase(bits, groupSize, type, new Shape(decodeMaxRows + 1, 3 * groupSize), 7),
                // M and N larger than a tile and not multiples of it.
                new QmmCase(
                        bits,
                        groupSize,
                        type,
                        new Shape(AffineQmmKernels.TILE_M + 3, groupSize),
                        AffineQmmKernels.TILE_N + 5),
                // 3-D input over two M tiles, K over 512: ten K steps.
                new QmmCase(bits, groupSize, type, new Shape(2, 20, TILED_LONG_K), 37));
    }

    /**
     * Checks that NaN and infinity in the activations reach the outputs of their row, and only
     * those, in both kernels: what fast math on the GPU would be allowed to break. Row 0 is finite,
     * row 1 holds one NaN, row 2 one +infinity (its outputs must be infinite or NaN, as {@code inf
     * * w} summed with finite terms is).
     *
     * @param backend the backend under test
     * @param manager the manager for the arrays
     * @param type the activation type
     * @param decodeMaxRows the backend's decode threshold (at least 3)
     */
    public static void checkNonFinitePropagation(
            QuantizedMatmul backend, NDManager manager, DataType type, int decodeMaxRows) {
        int k = 64;
        int n = 9;
        Random random = new Random(5);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        for (int m : new int[] {3, decodeMaxRows + 1}) {
            float[] x = new float[m * k];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextFloat() - 0.5f;
            }
            x[k + 5] = Float.NaN;
            x[2 * k + 17] = Float.POSITIVE_INFINITY;
            try (NDManager scope = manager.newSubManager();
                    QuantizedTensor weight =
                            ReferenceQuantizer.quantize(w, n, k, 4, 32)
                                    .toTensor(scope, DataType.FLOAT32);
                    PreparedWeight prepared = backend.prepare(weight)) {
                NDArray y = prepared.apply(scope.create(x, new Shape(m, k)).toType(type, false));
                float[] out = y.toType(DataType.FLOAT32, false).toFloatArray();
                for (int col = 0; col < n; col++) {
                    String where = "M=" + m + " " + type + " column " + col;
                    assertTrue(Float.isFinite(out[col]), where + ": row 0 is finite");
                    assertTrue(Float.isNaN(out[n + col]), where + ": row 1 is NaN");
                    assertFalse(Float.isFinite(out[2 * n + col]), where + ": row 2 is not finite");
                    for (int row = 3; row < m; row++) {
                        assertTrue(Float.isFinite(out[row * n + col]), where + " row " + row);
                    }
                }
            }
        }
    }
}
