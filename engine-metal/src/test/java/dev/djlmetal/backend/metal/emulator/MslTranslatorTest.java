package dev.djlmetal.backend.metal.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.djlmetal.backend.metal.AffineQmmKernels;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The MSL-to-C++ rewriting of the emulator, without compiling anything. */
class MslTranslatorTest {

    private static MslTranslator.Translation translate(String source) {
        return MslTranslator.translate("kernels.metal", source);
    }

    private static long lines(String text) {
        return text.chars().filter(c -> c == '\n').count();
    }

    @Test
    void addressSpacesBecomeCheckedPointersAndPoisonedThreadgroupMemory() {
        String source =
                String.join(
                        "\n",
                        "static constant constexpr int N = 4; // device pointers: `device T*`",
                        "inline float first(const device float* p) { return p[0]; }",
                        "[[kernel]] void k(",
                        "        device const uchar* w [[buffer(0)]],",
                        "        constant Params& params [[buffer(1)]],",
                        "        device",
                        "            float* y [[buffer(2)]],",
                        "        uint lid [[thread_index_in_threadgroup]]) {",
                        "    threadgroup float tile[N][N + 1];",
                        "    thread float* local = &tile[0][0];",
                        "    const char* text = \"device float* stays\";",
                        "}",
                        "");
        String cxx = translate(source).source();
        assertEquals(lines(source), lines(cxx), "lines stay where they were");
        assertTrue(cxx.contains("static const constexpr int N = 4;"), cxx);
        assertTrue(cxx.contains("// device pointers: `device T*`"), "comments untouched: " + cxx);
        assertTrue(cxx.contains("first(::djlm::device_ptr<const float> p)"), cxx);
        assertTrue(cxx.contains("::djlm::device_ptr<const uchar> w [[buffer(0)]]"), cxx);
        assertTrue(cxx.contains("::djlm::as_const<Params>& params [[buffer(1)]]"), cxx);
        // The line break inside the declaration moves after the rewritten type.
        assertTrue(cxx.contains("::djlm::device_ptr<float>\n y [[buffer(2)]]"), cxx);
        assertTrue(
                cxx.contains(
                        "using djlm_threadgroup_t0 = float[N][N + 1]; djlm_threadgroup_t0& tile ="
                                + " ::djlm::threadgroup_memory<djlm_threadgroup_t0, 0>();"),
                cxx);
        assertTrue(cxx.contains("float* local = &tile[0][0];"), cxx);
        assertTrue(cxx.contains("\"device float* stays\""), "strings untouched: " + cxx);
    }

    @Test
    void kernelParametersAreListedWithTheirBindings() {
        MslTranslator.Translation t =
                translate(
                        "template <typename T>\n"
                                + "[[kernel]] void a(device T* y [[buffer(3)]],\n"
                                + "    uint3 tg [[threadgroup_position_in_grid]]) {}\n"
                                + "kernel void b(constant uint& n [[ buffer( 1 ) ]],\n"
                                + "    uint width [[thread_execution_width]]) {}\n");
        List<MslTranslator.Kernel> kernels = t.kernels();
        assertEquals(2, kernels.size());
        assertTrue(kernels.get(0).isTemplate());
        assertFalse(kernels.get(1).isTemplate());
        assertEquals(
                "[y [[buffer(3)]], tg [[threadgroup_position_in_grid]]]",
                kernels.get(0).parameters().toString());
        assertEquals(
                "[n [[buffer(1)]], width [[threads_per_simdgroup]]]",
                kernels.get(1).parameters().toString());
        assertFalse(t.source().contains("kernel void b"), "the kernel keyword is dropped");
        assertTrue(t.exportsSource().contains("djlm_b("), t.exportsSource());
        assertFalse(t.exportsSource().contains("djlm_a("), "templates export where instantiated");
        assertTrue(t.bindingsHeader().contains("struct djlm_binding_a"), t.bindingsHeader());
    }

    @Test
    void theProjectsKernelsTranslate() {
        MslTranslator.Translation t = translate(AffineQmmKernels.source());
        assertEquals(
                List.of("affine_qmv", "affine_qmm"),
                t.kernels().stream().map(MslTranslator.Kernel::name).collect(Collectors.toList()));
        for (MslTranslator.Kernel kernel : t.kernels()) {
            assertEquals(
                    "[w [[buffer(0)]], scales [[buffer(1)]], biases [[buffer(2)]], x [[buffer(3)]],"
                            + " y [[buffer(4)]], params [[buffer(5)]], tgid"
                            + " [[threadgroup_position_in_grid]], lid"
                            + " [[thread_index_in_threadgroup]], sgid"
                            + " [[simdgroup_index_in_threadgroup]], slid"
                            + " [[thread_index_in_simdgroup]]]",
                    kernel.parameters().toString());
        }
        assertEquals(2, t.threadgroupSites(), "x_tile and w_tile");
        assertFalse(t.source().matches("(?s).*\\bdevice\\s+(const\\s+)?\\w+\\s*\\*.*"));
    }

    @Test
    void whatTheEmulatorCannotCheckIsRefusedWithItsLine() {
        assertMessage(
                "kernels.metal:2: parameter `n` of kernel k has no attribute",
                "\n[[kernel]] void k(constant uint& n) {}\n");
        assertMessage(
                "kernels.metal:1: parameter `b` of kernel k: buffer(2) is bound twice",
                "[[kernel]] void k(device float* a [[buffer(2)]], device float* b [[buffer(2)]])"
                        + " {}");
        assertMessage(
                "buffer index 31 is above Metal's limit of 30",
                "[[kernel]] void k(device float* a [[buffer(31)]]) {}");
        assertMessage(
                "must be declared alone, without an initializer",
                "void f() { threadgroup float t[4] = {0}; }");
        assertMessage(
                "a preprocessor directive uses the address space `device`",
                "#define PTR device float*\n");
        assertMessage(
                "a `device` declaration must be a pointer or a reference",
                "void f() { device float x; }");
    }

    private static void assertMessage(String expected, String source) {
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> translate(source));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
