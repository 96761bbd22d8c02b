package dev.djlmetal.backend.metal.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.djlmetal.backend.metal.MetalBuffer;
import dev.djlmetal.backend.metal.MetalDevice;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;
import dev.djlmetal.backend.metal.MetalSize;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The emulator's GPU semantics (threadgroup memory, barriers, SIMD reductions) on a probe kernel.
 */
class EmulatedMetalDeviceTest {

    /**
     * Each lane stores its index in threadgroup memory, waits at a barrier and reads its right
     * neighbour's slot (which only works when the barrier holds every lane back), then adds the sum
     * of its SIMD group.
     */
    private static final String PROBE =
            String.join(
                    "\n",
                    "#include <metal_stdlib>",
                    "using namespace metal;",
                    "[[kernel]] void probe(",
                    "        device uint* out [[buffer(0)]],",
                    "        constant uint& offset [[buffer(1)]],",
                    "        uint3 tgid [[threadgroup_position_in_grid]],",
                    "        uint lid [[thread_index_in_threadgroup]],",
                    "        uint sgid [[simdgroup_index_in_threadgroup]],",
                    "        uint slid [[thread_index_in_simdgroup]]) {",
                    "    threadgroup uint slots[64];",
                    "    slots[lid] = lid + offset * tgid.x;",
                    "    threadgroup_barrier(mem_flags::mem_threadgroup);",
                    "    const uint right = slots[(lid + 1) % 64];",
                    "    const uint simd_total = simd_sum(slid);",
                    "    out[tgid.x * 64 + lid] = right * 10000 + simd_total * 10 + sgid;",
                    "}",
                    "extern \"C\" int djlm_probe(void* const* b, const unsigned int* d) {",
                    "    return djlm::run_grid(b, d, [](void* const* bb, const djlm::Lane& l) {",
                    "        djlm::call_kernel(&probe, bb, l);",
                    "    });",
                    "}",
                    "");

    private static MetalDevice device;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(
                CxxCompiler.find().isPresent(),
                "Skipping the Metal emulator tests: " + CxxCompiler.searchDescription());
        device = EmulatedMetalDevice.create();
    }

    @Test
    void barriersAndSimdSumsBehaveAsOnTheGpu() {
        MetalLibrary library = device.compileLibrary(PROBE);
        MetalPipeline probe = library.newPipeline("probe");
        int groups = 3;
        try (MetalBuffer out = device.newBuffer(groups * 64 * 4)) {
            ByteBuffer offset =
                    ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, 100);
            device.dispatch(
                    probe,
                    List.of(out),
                    offset,
                    new MetalSize(groups, 1, 1),
                    new MetalSize(64, 1, 1));
            int[] expected = new int[groups * 64];
            for (int g = 0; g < groups; g++) {
                for (int lid = 0; lid < 64; lid++) {
                    int right = (lid + 1) % 64 + 100 * g;
                    int simdTotal = 31 * 32 / 2;
                    expected[g * 64 + lid] = right * 10000 + simdTotal * 10 + lid / 32;
                }
            }
            IntBuffer ints = out.contents().asIntBuffer();
            int[] actual = new int[ints.remaining()];
            ints.get(actual);
            assertArrayEquals(expected, actual);
        }
    }

    @Test
    void missingKernelIsNamed() {
        MetalLibrary library = device.compileLibrary(PROBE);
        MetalException e = assertThrows(MetalException.class, () -> library.newPipeline("nope"));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void compileErrorsCarryTheCompilerOutput() {
        MetalException e =
                assertThrows(
                        MetalException.class,
                        () -> device.compileLibrary("[[kernel]] void broken( { }\n"));
        assertTrue(e.getMessage().contains("kernels.metal"), e.getMessage());
    }

    @Test
    void rejectsOversizedThreadgroups() {
        MetalPipeline probe = device.compileLibrary(PROBE).newPipeline("probe");
        try (MetalBuffer out = device.newBuffer(4)) {
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            device.dispatch(
                                    probe,
                                    List.of(out),
                                    ByteBuffer.allocate(4),
                                    new MetalSize(1, 1, 1),
                                    new MetalSize(2048, 1, 1)));
        }
    }
}
