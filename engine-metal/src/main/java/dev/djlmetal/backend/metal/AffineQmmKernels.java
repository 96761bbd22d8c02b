package dev.djlmetal.backend.metal;

import ai.djl.ndarray.types.DataType;
import dev.djlmetal.quant.QuantSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The {@code affine_qmm_t} kernels of {@code affine_qmm.metal}: their host names, launch geometry
 * and argument struct. The geometry constants mirror the ones in the MSL source.
 *
 * <p>Two kernels exist per activation type (float, half), bits (2, 3, 4, 5, 6, 8) and group size
 * (32, 64, 128): {@code affine_qmv}, the decode kernel for few activation rows, and {@code
 * affine_qmm}, the tiled kernel.
 */
public final class AffineQmmKernels {

    /** The classpath resource (next to this class) holding the MSL source. */
    public static final String SOURCE_RESOURCE = "affine_qmm.metal";

    /** Lanes per SIMD group the kernels are written for. */
    public static final int SIMD_SIZE = 32;

    /** SIMD groups per threadgroup of the decode kernel. */
    public static final int DECODE_SIMDGROUPS = 2;

    /** Output rows computed by one SIMD group of the decode kernel. */
    public static final int DECODE_ROWS_PER_SIMDGROUP = 4;

    /** Activation rows per tile of the tiled kernel. */
    public static final int TILE_M = 32;

    /** Output columns (weight rows) per tile of the tiled kernel. */
    public static final int TILE_N = 32;

    /** Input features per step of the tiled kernel. */
    public static final int TILE_K = 64;

    /** Threads per threadgroup of the tiled kernel. */
    public static final int TILED_THREADS = 64;

    /** Bytes of the argument struct {@code AffineQmmParams} (three {@code uint}s: m, n, k). */
    public static final int ARGUMENTS_BYTES = 12;

    private static final String SOURCE = loadSource();

    private AffineQmmKernels() {}

    private static String loadSource() {
        try (InputStream in = AffineQmmKernels.class.getResourceAsStream(SOURCE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(
                        "Missing kernel resource "
                                + AffineQmmKernels.class.getPackageName().replace('.', '/')
                                + '/'
                                + SOURCE_RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read kernel resource " + SOURCE_RESOURCE, e);
        }
    }

    /**
     * Returns the MSL source of all variants.
     *
     * @return the source text
     */
    public static String source() {
        return SOURCE;
    }

    /**
     * Returns the host name of one kernel variant.
     *
     * @param decode true for the decode kernel, false for the tiled kernel
     * @param activations FLOAT32 or FLOAT16
     * @param spec the bits and group size
     * @return for example {@code affine_qmv_float_b4_g64}
     * @throws IllegalArgumentException when the activation type has no kernel
     */
    public static String functionName(boolean decode, DataType activations, QuantSpec spec) {
        return (decode ? "affine_qmv_" : "affine_qmm_")
                + typeName(activations)
                + "_b"
                + spec.getBits()
                + "_g"
                + spec.getGroupSize();
    }

    private static String typeName(DataType activations) {
        switch (activations) {
            case FLOAT32:
                return "float";
            case FLOAT16:
                return "half";
            default:
                throw new IllegalArgumentException(
                        "The Metal affine_qmm_t kernels take FLOAT32 or FLOAT16 activations, got "
                                + activations.name());
        }
    }

    /**
     * Plans the launch of {@code y[m, n] = x[m, k] @ dequant(W[n, k])^T}: the decode kernel when
     * {@code m <= decodeMaxRows}, the tiled kernel otherwise.
     *
     * @param m activation rows, at least 1
     * @param n output features, at least 1
     * @param activations FLOAT32 or FLOAT16
     * @param spec the bits and group size
     * @param decodeMaxRows the largest {@code m} that uses the decode kernel
     * @return the launch
     */
    public static KernelLaunch plan(
            int m, int n, DataType activations, QuantSpec spec, int decodeMaxRows) {
        if (m < 1 || n < 1) {
            throw new IllegalArgumentException(
                    "affine_qmm_t needs m >= 1 and n >= 1, got m=" + m + ", n=" + n);
        }
        boolean decode = m <= decodeMaxRows;
        String name = functionName(decode, activations, spec);
        if (decode) {
            int rowsPerGroup = DECODE_SIMDGROUPS * DECODE_ROWS_PER_SIMDGROUP;
            return new KernelLaunch(
                    name,
                    true,
                    new MetalSize(ceilDiv(n, rowsPerGroup), m, 1),
                    new MetalSize(DECODE_SIMDGROUPS * SIMD_SIZE, 1, 1));
        }
        return new KernelLaunch(
                name,
                false,
                new MetalSize(ceilDiv(n, TILE_N), ceilDiv(m, TILE_M), 1),
                new MetalSize(TILED_THREADS, 1, 1));
    }

    /**
     * Encodes the argument struct {@code AffineQmmParams {uint m; uint n; uint k;}}.
     *
     * @param m activation rows
     * @param n output features
     * @param k input features
     * @return a buffer of {@link #ARGUMENTS_BYTES} bytes in native order, positioned at 0
     */
    public static ByteBuffer arguments(int m, int n, int k) {
        ByteBuffer buffer = ByteBuffer.allocate(ARGUMENTS_BYTES).order(ByteOrder.nativeOrder());
        buffer.putInt(m).putInt(n).putInt(k);
        buffer.flip();
        return buffer;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
