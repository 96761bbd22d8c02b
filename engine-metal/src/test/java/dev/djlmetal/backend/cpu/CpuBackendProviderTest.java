package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.backend.QuantizedMatmul;
import org.junit.jupiter.api.Test;

class CpuBackendProviderTest {

    @Test
    void isFoundByServiceLoaderAndCreatesTheCpuBackend() {
        assertInstanceOf(CpuBackendProvider.class, Backends.provider(BackendKind.CPU));
        assertTrue(Backends.isAvailable(BackendKind.CPU));
        QuantizedMatmul backend =
                Backends.create(BackendKind.CPU, Device.cpu(), BackendSettings.defaults());
        assertEquals(BackendKind.CPU, backend.kind());
        assertInstanceOf(CpuQuantizedMatmul.class, backend);
    }

    @Test
    void autoPicksTheCpuBackendOnCpuDevicesWithoutMetal() {
        if (!Backends.isAvailable(BackendKind.METAL)) {
            assertEquals(BackendKind.CPU, Backends.resolve(BackendKind.AUTO, Device.cpu()));
        }
        assertEquals(BackendKind.CPU, Backends.resolve(BackendKind.CPU, Device.cpu()));
        assertEquals("", new CpuBackendProvider().unavailableReason());
    }
}
