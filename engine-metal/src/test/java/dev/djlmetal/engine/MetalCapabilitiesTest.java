package dev.djlmetal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.djlmetal.backend.BackendKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class MetalCapabilitiesTest {

    @Test
    void appleSiliconNeedsMacAndArm() {
        assertTrue(MetalCapabilities.isAppleSilicon("Mac OS X", "aarch64"));
        assertTrue(MetalCapabilities.isAppleSilicon("Darwin", "arm64"));
        assertFalse(MetalCapabilities.isAppleSilicon("Mac OS X", "x86_64"));
        assertFalse(MetalCapabilities.isAppleSilicon("Linux", "aarch64"));
        assertFalse(MetalCapabilities.isAppleSilicon("Windows 11", "amd64"));
    }

    @Test
    void linuxHasNoNativeMetal() {
        Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"));
        MetalCapabilities capabilities = MetalCapabilities.detect();
        assertFalse(capabilities.isNativeMetalAvailable());
        assertTrue(
                capabilities.getNativeMetalStatus().contains("Linux"),
                capabilities.getNativeMetalStatus());
        assertFalse(capabilities.getAvailableBackends().contains(BackendKind.METAL));
        assertTrue(
                Set.of(BackendKind.CPU, BackendKind.NDARRAY)
                        .contains(capabilities.getAutoBackendOnCpu()));
        assertEquals("Linux", capabilities.getOsName());
    }

    /**
     * The available backends follow from the platform, checked independently of the providers' own
     * availability code: cpu and ndarray run everywhere, metal only on macOS on Apple Silicon,
     * metal-emulated wherever a C++ compiler runs.
     */
    @Test
    void availableBackendsFollowFromThePlatform() {
        Set<BackendKind> expected = EnumSet.of(BackendKind.CPU, BackendKind.NDARRAY);
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        boolean appleSilicon =
                os.startsWith("mac") && ("aarch64".equals(arch) || "arm64".equals(arch));
        if (appleSilicon) {
            expected.add(BackendKind.METAL);
        }
        if (compilerRuns("g++") || compilerRuns("c++") || compilerRuns("clang++")) {
            expected.add(BackendKind.METAL_EMULATED);
        }
        List<BackendKind> available = MetalCapabilities.detect().getAvailableBackends();
        if (appleSilicon) {
            // a Mac whose GPU cannot compile our kernels falls back; the rest must match
            expected.remove(BackendKind.METAL);
            available = new ArrayList<>(available);
            available.remove(BackendKind.METAL);
        }
        assertEquals(expected, EnumSet.copyOf(available));
        assertFalse(available.contains(BackendKind.AUTO));
    }

    private static boolean compilerRuns(String name) {
        try {
            Process process =
                    new ProcessBuilder(name, "--version").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void toStringNamesPlatformAndBackends() {
        MetalCapabilities capabilities = MetalCapabilities.detect();
        String text = capabilities.toString();
        assertTrue(text.contains(System.getProperty("os.name")), text);
        assertTrue(text.contains(System.getProperty("os.arch")), text);
        assertTrue(text.contains("auto(cpu)=" + capabilities.getAutoBackendOnCpu()), text);
        assertTrue(text.contains(capabilities.getAvailableBackends().toString()), text);
    }
}
