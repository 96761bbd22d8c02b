package dev.djlmetal.backend.metal.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class EmulatedMetalBackendProviderTest {

    @Test
    void isRegisteredForMetalEmulated() {
        assertInstanceOf(
                EmulatedMetalBackendProvider.class, Backends.provider(BackendKind.METAL_EMULATED));
    }

    @Test
    void createsTheEmulatedBackendWhenACompilerIsFound() {
        Assumptions.assumeTrue(
                CxxCompiler.find().isPresent(),
                "Skipping the Metal emulator tests: " + CxxCompiler.searchDescription());
        assertTrue(Backends.isAvailable(BackendKind.METAL_EMULATED));
        assertEquals("", Backends.provider(BackendKind.METAL_EMULATED).unavailableReason());
        QuantizedMatmul backend =
                Backends.create(
                        BackendKind.METAL_EMULATED, Device.cpu(), BackendSettings.defaults());
        assertInstanceOf(MetalQuantizedMatmul.class, backend);
        assertEquals(BackendKind.METAL_EMULATED, backend.kind());
    }

    @Test
    void aMissingConfiguredCompilerMakesItUnavailable() {
        String previous = System.getProperty(CxxCompiler.COMPILER_PROPERTY);
        System.setProperty(CxxCompiler.COMPILER_PROPERTY, "/nonexistent/c++");
        try {
            EmulatedMetalBackendProvider provider = new EmulatedMetalBackendProvider();
            assertTrue(!provider.isAvailable());
            assertTrue(
                    provider.unavailableReason().contains("/nonexistent/c++"),
                    provider.unavailableReason());
        } finally {
            if (previous == null) {
                System.clearProperty(CxxCompiler.COMPILER_PROPERTY);
            } else {
                System.setProperty(CxxCompiler.COMPILER_PROPERTY, previous);
            }
        }
    }
}
