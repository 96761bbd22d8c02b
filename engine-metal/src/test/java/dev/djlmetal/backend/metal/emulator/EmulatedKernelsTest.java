package dev.djlmetal.backend.metal.emulator;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;
import dev.djlmetal.backend.metal.QmmCase;
import dev.djlmetal.backend.metal.QmmCases;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel variant run by the CPU emulator against the plain-Java reference, on the shared edge
 * shapes of {@link QmmCases} (3-D inputs and K over 512 included).
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
        return QmmCases.variants();
    }

    @ParameterizedTest(name = "{0} bits={1} group_size={2}")
    @MethodSource("variants")
    void decodeKernelMatchesReference(DataType type, int bits, int groupSize) {
        int decodeMax = MetalQuantizedMatmul.DEFAULT_DECODE_MAX_ROWS;
        long seed = 11L * bits + groupSize;
        for (QmmCase c : QmmCases.decode(type, bits, groupSize, decodeMax)) {
            c.check(backend, manager, seed++);
        }
    }

    @ParameterizedTest(name = "{0} bits={1} group_size={2}")
    @MethodSource("variants")
    void tiledKernelMatchesReference(DataType type, int bits, int groupSize) {
        int decodeMax = MetalQuantizedMatmul.DEFAULT_DECODE_MAX_ROWS;
        long seed = 17L * bits + groupSize;
        for (QmmCase c : QmmCases.tiled(type, bits, groupSize, decodeMax)) {
            c.check(backend, manager, seed++);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(
            value = DataType.class,
            names = {"FLOAT32", "FLOAT16"})
    void nanAndInfinityPropagateToTheirRow(DataType type) {
        QmmCases.checkNonFinitePropagation(
                backend, manager, type, MetalQuantizedMatmul.DEFAULT_DECODE_MAX_ROWS);
    }
}
