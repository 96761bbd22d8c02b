package dev.djlmetal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.QuantizedBackendProvider;
import java.util.EnumSet;
import java.util.List;
import java.util.ServiceLoader;
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

    @Test
    void availableBackendsAreTheInstalledProvidersThatCanRun() {
        Set<BackendKind> expected = EnumSet.noneOf(BackendKind.class);
        for (QuantizedBackendProvider provider :
                ServiceLoader.load(QuantizedBackendProvider.class)) {
            if (provider.isAvailable()) {
                expected.add(provider.kind());
            }
        }
        List<BackendKind> available = MetalCapabilities.detect().getAvailableBackends();
        assertEquals(expected, available.isEmpty() ? Set.of() : EnumSet.copyOf(available));
        assertFalse(available.contains(BackendKind.AUTO));
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
