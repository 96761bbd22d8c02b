package dev.djlmetal.backend.metal.emulator;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.metal.AffineQmmKernels;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;
import dev.djlmetal.backend.metal.QmmCase;
import dev.djlmetal.quant.QuantSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel variant run by the CPU emulator against the plain-Java reference, on edge shapes.
 */
class EmulatedKernelsTest {

    private static NDManager manager;
    private static MetalQuantizedMatmul backend;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(
                CxxCompiler.find().isPresent(),
                "Skipping the Metal emulator tests: " + CxxCompiler.searchDescription());
        manager = NDManager.newBaseManager();
        backend =
                new MetalQuantizedMatmul(
                        BackendKind.METAL_EMULATED,
                        EmulatedMetalDevice.create(),
                        BackendSettings.defaults());
    }

    @AfterAll
    static void tearDown() {
        if (manager != null) {
            manager.close();
        }
    }

    static List<Arguments> variants() {
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

    @ParameterizedTest(name = "{0} bits={1} group_size={2}")
    @MethodSource("variants")
    void decodeKernelMatchesReference(DataType type, int bits, int groupSize) {
        int decodeMax = MetalQuantizedMatmul.DEFAULT_DECODE_MAX_ROWS;
        int rowsPerThreadgroup =
                AffineQmmKernels.DECODE_SIMDGROUPS * AffineQmmKernels.DECODE_ROWS_PER_SIMDGROUP;
        // M = 1, K = one group, N not a multiple of the rows per threadgroup.
        new QmmCase(bits, groupSize, type, new Shape(1, groupSize), 2 * rowsPerThreadgroup + 3)
                .check(backend, manager, 11L * bits + groupSize);
        // M at the threshold, leading dimensions folded, several groups.
        new QmmCase(bits, groupSize, type, new Shape(2, decodeMax / 2, 2 * groupSize), 5)
                .check(backend, manager, 13L * bits + groupSize);
        // K = 640 spans more than one pass of a SIMD group (32 lanes x 16 inputs).
        new QmmCase(bits, groupSize, type, new Shape(1, 640), 3)
                .check(backend, manager, 23L * bits + groupSize);
    }

    @ParameterizedTest(name = "{0} bits={1} group_size={2}")
    @MethodSource("variants")
    void tiledKernelMatchesReference(DataType type, int bits, int groupSize) {
        int decodeMax = MetalQuantizedMatmul.DEFAULT_DECODE_MAX_ROWS;
        // M just above the threshold; K = 3 groups (96 for group size 32: not a multiple of
        // TILE_K).
        new QmmCase(bits, groupSize, type, new Shape(decodeMax + 1, 3 * groupSize), 7)
                .check(backend, manager, 17L * bits + groupSize);
        // M and N larger than a tile and not multiples of it.
        new QmmCase(
                        bits,
                        groupSize,
                        type,
                        new Shape(AffineQmmKernels.TILE_M + 3, groupSize),
                        AffineQmmKernels.TILE_N + 5)
                .check(backend, manager, 19L * bits + groupSize);
    }
}
