package dev.djlmetal.backend.metal.emulator;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;
import java.util.HashMap;
import java.util.Map;

/**
 * An MSL source compiled by the emulator: each kernel variant {@code name} is the exported function
 * {@code djlm_name}. The native library stays loaded for the life of the JVM (it is shared by every
 * library compiled from the same source); closing the library retires its pipelines, which then
 * refuse to dispatch, as released Metal objects would.
 */
final class EmulatedLibrary implements MetalLibrary {

    private static final String EXPORT_PREFIX = "djlm_";

    private final NativeLibrary nativeLibrary;
    private final Map<String, EmulatedPipeline> pipelines = new HashMap<>();
    private boolean closed;

    EmulatedLibrary(NativeLibrary nativeLibrary) {
        this.nativeLibrary = nativeLibrary;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized MetalPipeline pipeline(String functionName) {
        if (closed) {
            throw new IllegalStateException(
                    "The emulated Metal library was closed; cannot create " + functionName);
        }
        EmulatedPipeline pipeline = pipelines.get(functionName);
        if (pipeline == null) {
            Function function;
            try {
                function = nativeLibrary.getFunction(EXPORT_PREFIX + functionName);
            } catch (UnsatisfiedLinkError e) {
                throw new MetalException(
                        "The emulated Metal library has no kernel named " + functionName, e);
            }
            pipeline = new EmulatedPipeline(functionName, function);
            pipelines.put(functionName, pipeline);
        }
        return pipeline;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized void close() {
        closed = true;
        for (EmulatedPipeline pipeline : pipelines.values()) {
            pipeline.retire();
        }
        pipelines.clear();
    }
}
