package dev.djlmetal.backend.metal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import dev.djlmetal.quant.QuantSpec;
import java.nio.ByteBuffer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class AffineQmmKernelsTest {

    @Test
    void functionNamesMatchTheHostNamesOfTheSource() {
        QuantSpec spec = QuantSpec.of(3, 128);
        assertEquals(
                "affine_qmv_float_b3_g128",
                AffineQmmKernels.functionName(true, DataType.FLOAT32, spec));
        assertEquals(
                "affine_qmm_half_b3_g128",
                AffineQmmKernels.functionName(false, DataType.FLOAT16, spec));
        String source = AffineQmmKernels.source();
        assertTrue(source.contains("DJLM_INSTANTIATE_BITS(affine_qmv, half)"));
        assertTrue(source.contains("DJLM_INSTANTIATE_BITS(affine_qmm, float)"));
    }

    @Test
    void rejectsActivationTypesWithoutKernels() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                AffineQmmKernels.functionName(
                                        true, DataType.FLOAT64, QuantSpec.of(4, 64)));
        assertTrue(e.getMessage().contains("FLOAT64"), e.getMessage());
    }

    @Test
    void decodeKernelServesUpToTheThreshold() {
        QuantSpec spec = QuantSpec.of(4, 64);
        KernelLaunch launch = AffineQmmKernels.plan(8, 17, DataType.FLOAT32, spec, 8);
        assertTrue(launch.isDecode());
        assertEquals("affine_qmv_float_b4_g64", launch.getFunctionName());
        // 8 output rows per threadgroup: 17 rows need 3 threadgroups; one grid row per activation
        // row.
        assertEquals(new MetalSize(3, 8, 1), launch.getThreadgroups());
        assertEquals(new MetalSize(64, 1, 1), launch.getThreadsPerThreadgroup());
    }

    @Test
    void tiledKernelServesAboveTheThreshold() {
        QuantSpec spec = QuantSpec.of(5, 32);
        KernelLaunch launch = AffineQmmKernels.plan(9, 70, DataType.FLOAT16, spec, 8);
        assertFalse(launch.isDecode());
        assertEquals("affine_qmm_half_b5_g32", launch.getFunctionName());
        assertEquals(new MetalSize(3, 1, 1), launch.getThreadgroups());
        assertEquals(new MetalSize(64, 1, 1), launch.getThreadsPerThreadgroup());
        KernelLaunch large = AffineQmmKernels.plan(65, 64, DataType.FLOAT16, spec, 8);
        assertEquals(new MetalSize(2, 3, 1), large.getThreadgroups());
    }

    @Test
    void thresholdZeroAlwaysTiles() {
        assertFalse(
                AffineQmmKernels.plan(1, 8, DataType.FLOAT32, QuantSpec.of(8, 32), 0).isDecode());
    }

    @Test
    void argumentsAreThreeNativeOrderUints() {
        ByteBuffer args = AffineQmmKernels.arguments(3, 70, 96);
        assertEquals(AffineQmmKernels.ARGUMENTS_BYTES, args.remaining());
        assertEquals(3, args.getInt(0));
        assertEquals(70, args.getInt(4));
        assertEquals(96, args.getInt(8));
    }

    @Test
    void geometryMirrorsTheSourceConstants() {
        String source = AffineQmmKernels.source();
        assertEquals(AffineQmmKernels.SIMD_SIZE, constant(source, "SIMD_SIZE"));
        assertEquals(AffineQmmKernels.DECODE_SIMDGROUPS, constant(source, "QMV_SIMDGROUPS"));
        assertEquals(
                AffineQmmKernels.DECODE_ROWS_PER_SIMDGROUP,
                constant(source, "QMV_ROWS_PER_SIMDGROUP"));
        assertEquals(AffineQmmKernels.TILE_M, constant(source, "QMM_TILE_M"));
        assertEquals(AffineQmmKernels.TILE_N, constant(source, "QMM_TILE_N"));
        assertEquals(AffineQmmKernels.TILE_K, constant(source, "QMM_TILE_K"));
        assertEquals(AffineQmmKernels.TILED_THREADS, constant(source, "QMM_THREADS"));
    }

    private static int constant(String source, String name) {
        Matcher matcher = Pattern.compile("constexpr int " + name + " = (\\d+);").matcher(source);
        assertTrue(matcher.find(), "constant " + name + " not found in the kernel source");
        return Integer.parseInt(matcher.group(1));
    }
}
