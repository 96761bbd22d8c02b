package dev.djlmetal.backend.metal.objc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.Backends;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class MetalBackendProviderTest {

    @Test
    void isRegisteredForMetal() {
        assertInstanceOf(MetalBackendProvider.class, Backends.provider(BackendKind.METAL));
    }

    @Test
    void backendMetalFailsClearlyOffAppleSilicon() {
        Assumptions.assumeFalse(
                MetalBackendProvider.isAppleSilicon(),
                "This machine is Apple Silicon: the real-Metal tests cover it");
        assertFalse(Backends.isAvailable(BackendKind.METAL));
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () ->
                                Backends.create(
                                        BackendKind.METAL,
                                        Device.cpu(),
                                        BackendSettings.defaults()));
        assertTrue(e.getMessage().contains("backend=metal"), e.getMessage());
        assertTrue(e.getMessage().contains("Apple Silicon"), e.getMessage());
        assertTrue(e.getMessage().contains("metal-emulated"), e.getMessage());
    }

    @Test
    void autoDoesNotPickMetalOffAppleSilicon() {
        Assumptions.assumeFalse(
                MetalBackendProvider.isAppleSilicon(),
                "This machine is Apple Silicon: the real-Metal tests cover it");
        assertTrue(Backends.resolve(BackendKind.AUTO, Device.cpu()) != BackendKind.METAL);
    }
}
