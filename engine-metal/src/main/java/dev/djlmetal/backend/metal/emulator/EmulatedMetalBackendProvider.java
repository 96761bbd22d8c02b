package dev.djlmetal.backend.metal.emulator;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.QuantizedBackendProvider;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;

/**
 * Provides {@code backend=metal-emulated}: the Metal kernels run by the CPU emulator. Available
 * wherever a C++20 compiler is found (see {@link CxxCompiler}); slow, meant for kernel development
 * and tests. Every backend this provider creates shares one emulated device, so the kernels are
 * built (or loaded from the build cache) once.
 */
public final class EmulatedMetalBackendProvider implements QuantizedBackendProvider {

    private EmulatedMetalDevice device;

    /** Creates the provider (cheap: the compiler is looked up when needed). */
    public EmulatedMetalBackendProvider() {}

    /** {@inheritDoc} */
    @Override
    public BackendKind kind() {
        return BackendKind.METAL_EMULATED;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isAvailable() {
        return CxxCompiler.find().isPresent();
    }

    /** {@inheritDoc} */
    @Override
    public String unavailableReason() {
        return isAvailable() ? "" : CxxCompiler.searchDescription();
    }

    /** {@inheritDoc} */
    @Override
    public QuantizedMatmul create(BackendSettings settings) {
        return new MetalQuantizedMatmul(BackendKind.METAL_EMULATED, device(), settings);
    }

    private synchronized EmulatedMetalDevice device() {
        if (device == null) {
            device = EmulatedMetalDevice.create();
        }
        return device;
    }
}
