package dev.djlmetal.backend.metal.emulator;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;

/**
 * An MSL source compiled by the emulator: each kernel variant {@code name} is the exported function
 * {@code djlm_name}. The native library stays loaded for the life of the JVM (it is shared by every
 * library compiled from the same source), so {@link #close()} has nothing to release.
 */
final class EmulatedLibrary implements MetalLibrary {

    private static final String EXPORT_PREFIX = "djlm_";

    private final NativeLibrary nativeLibrary;

    EmulatedLibrary(NativeLibrary nativeLibrary) {
        this.nativeLibrary = nativeLibrary;
    }

    /** {@inheritDoc} */
    @Override
    public MetalPipeline newPipeline(String functionName) {
        Function function;
        try {
            function = nativeLibrary.getFunction(EXPORT_PREFIX + functionName);
        } catch (UnsatisfiedLinkError e) {
            throw new MetalException(
                    "The emulated Metal library has no kernel named " + functionName, e);
        }
        return new EmulatedPipeline(functionName, function);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {}
}
