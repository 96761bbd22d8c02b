package dev.djlmetal.backend.metal.emulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The emulator's GPU semantics on probe kernels: barriers and SIMD reductions, binding by {@code
 * [[buffer(i)]]}, bounds checks on every device access, poisoned threadgroup memory, and the
 * translator's refusals. Each strictness check has a kernel that breaks exactly that rule.
 */
class EmulatedMetalDeviceTest {

    /** Every probe kernel, in one source so the emulator builds it once. */
    private static final String PROBES =
            String.join(
                    "\n",
                    "#include <metal_stdlib>",
                    "using namespace metal;",
                    "",
                    "struct Params {",
                    "    uint scale;",
                    "    uint offset;",
                    "    uint count;",
                    "};",
                    "",
                    // Each lane stores its index in threadgroup memory, waits at a barrier and
                    // reads its right neighbour's slot (which only works when the barrier holds
                    // every lane back), then adds the sum of its SIMD group.
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
                    "",
                    // Parameters declared in an order unlike their indices, the position
                    // attributes first and in no particular order.
                    "[[kernel]] void swapped(",
                    "        uint3 gid [[thread_position_in_grid]],",
                    "        constant Params& params [[buffer(2)]],",
                    "        device uint* out [[buffer(1)]],",
                    "        uint width [[threads_per_threadgroup]],",
                    "        device const uint* in [[buffer(0)]]) {",
                    "    out[gid.x] = in[gid.x] * params.scale + params.offset + width;",
                    "}",
                    "",
                    "[[kernel]] void read_past_end(",
                    "        device const float* in [[buffer(0)]],",
                    "        device float* out [[buffer(1)]],",
                    "        uint gid [[thread_position_in_grid]]) {",
                    "    out[gid] = in[gid + 1];",
                    "}",
                    "",
                    "[[kernel]] void write_past_end(",
                    "        device float* out [[buffer(0)]],",
                    "        uint gid [[thread_position_in_grid]]) {",
                    "    out[gid + 1] = 1.0f;",
                    "}",
                    "",
                    "[[kernel]] void read_before_start(",
                    "        device const float* in [[buffer(0)]],",
                    "        device float* out [[buffer(1)]],",
                    "        uint gid [[thread_position_in_grid]]) {",
                    "    device const float* previous = in + int(gid) - 1;",
                    "    out[gid] = *previous;",
                    "}",
                    "",
                    "[[kernel]] void needs_three_buffers(",
                    "        device float* out [[buffer(0)]],",
                    "        device const float* extra [[buffer(2)]],",
                    "        uint gid [[thread_position_in_grid]]) {",
                    "    out[gid] = extra[gid];",
                    "}",
                    "",
                    "[[kernel]] void reads_params(",
                    "        device uint* out [[buffer(0)]],",
                    "        constant Params& params [[buffer(1)]],",
                    "        uint gid [[thread_position_in_grid]]) {",
                    "    out[gid] = params.count;",
                    "}",
                    "",
                    // Threadgroup 0 fills the tile, the others read it without writing.
                    "[[kernel]] void tile_from_first_group(",
                    "        device float* out [[buffer(0)]],",
                    "        uint3 tgid [[threadgroup_position_in_grid]],",
                    "        uint lid [[thread_index_in_threadgroup]]) {",
                    "    threadgroup float tile[64];",
                    "    if (tgid.x == 0) {",
                    "        tile[lid] = 7.0f;",
                    "    }",
                    "    threadgroup_barrier(mem_flags::mem_threadgroup);",
                    "    out[tgid.x * 64 + lid] = tile[lid];",
                    "}",
                    "",
                    "[[kernel]] void uninitialized_counts(",
                    "        device uint* out [[buffer(0)]],",
                    "        uint lid [[thread_index_in_threadgroup]]) {",
                    "    threadgroup uint counts[32];",
                    "    out[lid] = counts[lid];",
                    "}",
                    "",
                    "[[kernel]] void too_much_threadgroup_memory(",
                    "        device float* out [[buffer(0)]],",
                    "        uint lid [[thread_index_in_threadgroup]]) {",
                    "    threadgroup float big[9000];",
                    "    big[lid] = 1.0f;",
                    "    threadgroup_barrier(mem_flags::mem_threadgroup);",
                    "    out[lid] = big[lid];",
                    "}",
                    "");

    private static MetalDevice device;
    private static MetalLibrary probes;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(
                CxxCompiler.find().isPresent(),
                "Skipping the Metal emulator tests: " + CxxCompiler.searchDescription());
        device = EmulatedMetalDevice.create();
        probes = device.library(PROBES);
    }

    @AfterAll
    static void tearDown() {
        if (device != null) {
            device.close();
        }
    }

    private static ByteBuffer uints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.nativeOrder());
        for (int v : values) {
            b.putInt(v);
        }
        b.flip();
        return b;
    }

    private static int[] ints(MetalBuffer buffer) {
        IntBuffer view = buffer.contents().asIntBuffer();
        int[] values = new int[view.remaining()];
        view.get(values);
        return values;
    }

    private static float[] floats(MetalBuffer buffer) {
        FloatBuffer view = buffer.contents().asFloatBuffer();
        float[] values = new float[view.remaining()];
        view.get(values);
        return values;
    }

    private static MetalException dispatchFails(
            String kernel, List<MetalBuffer> buffers, ByteBuffer arguments, int threads) {
        return assertThrows(
                MetalException.class,
                () ->
                        device.dispatch(
                                probes.pipeline(kernel),
                                buffers,
                                arguments,
                                new MetalSize(1, 1, 1),
                                new MetalSize(threads, 1, 1)));
    }

    private static void assertMentions(Exception e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "missing '" + part + "' in: " + e);
        }
    }

    @Test
    void barriersAndSimdSumsBehaveAsOnTheGpu() {
        int groups = 3;
        try (MetalBuffer out = device.newBuffer(groups * 64 * 4)) {
            device.dispatch(
                    probes.pipeline("probe"),
                    List.of(out),
                    uints(100),
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
            assertArrayEquals(expected, ints(out));
        }
    }

    @Test
    void argumentsBindByTheirAttributesNotTheirPosition() {
        int threads = 8;
        try (MetalBuffer in = device.newBuffer(threads * 4L);
                MetalBuffer out = device.newBuffer(threads * 4L)) {
            IntBuffer values = in.contents().asIntBuffer();
            for (int i = 0; i < threads; i++) {
                values.put(i, 10 + i);
            }
            // buffer(0) = in, buffer(1) = out, buffer(2) = Params {scale 3, offset 5, count 0}.
            device.dispatch(
                    probes.pipeline("swapped"),
                    List.of(in, out),
                    uints(3, 5, 0),
                    new MetalSize(2, 1, 1),
                    new MetalSize(threads / 2, 1, 1));
            int[] expected = new int[threads];
            for (int i = 0; i < threads; i++) {
                expected[i] = (10 + i) * 3 + 5 + threads / 2;
            }
            assertArrayEquals(expected, ints(out));
        }
    }

    @Test
    void aReadPastTheEndFailsTheDispatchNamingTheBuffer() {
        try (MetalBuffer in = device.newBuffer(32 * 4);
                MetalBuffer out = device.newBuffer(32 * 4)) {
            MetalException e = dispatchFails("read_past_end", List.of(in, out), uints(0), 32);
            assertMentions(
                    e,
                    "read_past_end",
                    "buffer(0)",
                    "parameter `in`",
                    "out-of-bounds",
                    "bytes [128, 132) of a 128-byte binding",
                    "thread 31");
        }
    }

    @Test
    void aWritePastTheEndFailsTheDispatchAndWritesNothingOutside() {
        try (MetalBuffer out = device.newBuffer(16 * 4)) {
            MetalException e = dispatchFails("write_past_end", List.of(out), uints(0), 16);
            assertMentions(e, "buffer(0)", "parameter `out`", "bytes [64, 68) of a 64-byte");
            // Every in-bounds write happened: lanes 0..14 wrote elements 1..15.
            float[] values = floats(out);
            assertEquals(0f, values[0]);
            for (int i = 1; i < 16; i++) {
                assertEquals(1f, values[i], "element " + i);
            }
        }
    }

    @Test
    void aReadBeforeTheStartFailsTheDispatch() {
        try (MetalBuffer in = device.newBuffer(8 * 4);
                MetalBuffer out = device.newBuffer(8 * 4)) {
            MetalException e = dispatchFails("read_before_start", List.of(in, out), uints(0), 8);
            assertMentions(e, "buffer(0)", "bytes [-4, 0)", "thread 0 ");
        }
    }

    @Test
    void anUnboundBufferIsNamedBeforeAnyLaneRuns() {
        try (MetalBuffer out = device.newBuffer(4 * 4)) {
            // Bound: buffer(0) = out, buffer(1) = the argument bytes; buffer(2) is missing.
            MetalException e = dispatchFails("needs_three_buffers", List.of(out), uints(0), 4);
            assertMentions(e, "buffer(2)", "parameter `extra`", "not bound");
        }
    }

    @Test
    void argumentBytesShorterThanTheStructAreRejected() {
        try (MetalBuffer out = device.newBuffer(4 * 4)) {
            MetalException e = dispatchFails("reads_params", List.of(out), uints(7), 4);
            assertMentions(e, "buffer(1)", "parameter `params`", "holds 4 bytes", "reads 12");
        }
    }

    @Test
    void threadgroupMemoryIsPoisonedForEveryThreadgroup() {
        try (MetalBuffer out = device.newBuffer(3 * 64 * 4)) {
            device.dispatch(
                    probes.pipeline("tile_from_first_group"),
                    List.of(out),
                    uints(0),
                    new MetalSize(3, 1, 1),
                    new MetalSize(64, 1, 1));
            float[] values = floats(out);
            for (int lid = 0; lid < 64; lid++) {
                assertEquals(7f, values[lid], "threadgroup 0 wrote its tile");
                assertTrue(
                        Float.isNaN(values[64 + lid]) && Float.isNaN(values[128 + lid]),
                        "threadgroups 1 and 2 read a tile they never wrote: poison, not the"
                                + " values threadgroup 0 left, got "
                                + values[64 + lid]
                                + " and "
                                + values[128 + lid]);
            }
        }
    }

    @Test
    void uninitializedThreadgroupIntegersAreAllOnes() {
        try (MetalBuffer out = device.newBuffer(32 * 4)) {
            device.dispatch(
                    probes.pipeline("uninitialized_counts"),
                    List.of(out),
                    uints(0),
                    new MetalSize(1, 1, 1),
                    new MetalSize(32, 1, 1));
            for (int value : ints(out)) {
                assertEquals(0xFFFFFFFF, value);
            }
        }
    }

    @Test
    void threadgroupMemoryBeyondTheGpuLimitFailsTheDispatch() {
        try (MetalBuffer out = device.newBuffer(32 * 4)) {
            MetalException e =
                    dispatchFails("too_much_threadgroup_memory", List.of(out), uints(0), 32);
            assertMentions(e, "36000 bytes of threadgroup memory", "32768");
        }
    }

    @Test
    void parametersWithoutAnAttributeAreRejectedWithTheirLine() {
        MetalException e =
                assertThrows(
                        MetalException.class,
                        () ->
                                device.compileLibrary(
                                        "#include <metal_stdlib>\n"
                                            + "[[kernel]] void k(\n"
                                            + "        device float* out,\n"
                                            + "        uint lid [[thread_index_in_threadgroup]])"
                                            + " {\n"
                                            + "    out[lid] = 0.0f;\n"
                                            + "}\n"));
        assertMentions(e, "kernels.metal:3", "parameter `out`", "no attribute");
    }

    @Test
    void repeatedAndUnsupportedBindingsAreRejected() {
        MetalException repeated =
                assertThrows(
                        MetalException.class,
                        () ->
                                device.compileLibrary(
                                        "[[kernel]] void k(device float* a [[buffer(1)]],\n"
                                                + "    device float* b [[buffer(1)]]) {}\n"));
        assertMentions(repeated, "kernels.metal:2", "buffer(1) is bound twice");
        MetalException texture =
                assertThrows(
                        MetalException.class,
                        () ->
                                device.compileLibrary(
                                        "[[kernel]] void k(device float* a [[texture(0)]]) {}\n"));
        assertMentions(texture, "[[texture(0)]]", "not supported");
    }

    @Test
    void missingKernelIsNamed() {
        MetalException e = assertThrows(MetalException.class, () -> probes.pipeline("nope"));
        assertMentions(e, "nope");
    }

    @Test
    void compileErrorsCarryTheCompilerOutput() {
        MetalException e =
                assertThrows(
                        MetalException.class,
                        () ->
                                device.compileLibrary(
                                        "#include <metal_stdlib>\n"
                                                + "[[kernel]] void broken(\n"
                                                + "        device float* out [[buffer(0)]]) {\n"
                                                + "    out[0] = undeclared_value;\n"
                                                + "}\n"));
        assertMentions(e, "kernels.metal:4", "undeclared_value");
    }

    @Test
    void rejectsOversizedThreadgroups() {
        try (MetalBuffer out = device.newBuffer(4)) {
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            device.dispatch(
                                    probes.pipeline("probe"),
                                    List.of(out),
                                    uints(0),
                                    new MetalSize(1, 1, 1),
                                    new MetalSize(2048, 1, 1)));
        }
    }

    @Test
    void librariesAreCachedPerSourceAndReleasedWithTheDevice() {
        MetalDevice own = EmulatedMetalDevice.create();
        MetalLibrary library = own.library(PROBES);
        assertSame(library, own.library(PROBES));
        MetalPipeline pipeline = library.pipeline("probe");
        assertSame(pipeline, library.pipeline("probe"));
        own.close();
        try (MetalBuffer out = own.newBuffer(64 * 4)) {
            assertThrows(
                    IllegalStateException.class,
                    () ->
                            own.dispatch(
                                    pipeline,
                                    List.of(out),
                                    uints(0),
                                    new MetalSize(1, 1, 1),
                                    new MetalSize(64, 1, 1)));
        }
        assertThrows(IllegalStateException.class, () -> own.library(PROBES));
    }
}
