package dev.djlmetal.backend.metal.emulator;

import com.sun.jna.Function;
import dev.djlmetal.backend.metal.MetalPipeline;

/** One kernel variant of an emulator library: the exported C function that runs a whole grid. */
final class EmulatedPipeline implements MetalPipeline {

    /** The largest threadgroup the emulator runs (one thread per lane), as on Apple GPUs. */
    static final int MAX_THREADS_PER_THREADGROUP = 1024;

    /** Lanes per SIMD group emulated by the runtime. */
    static final int SIMD_WIDTH = 32;

    private final String functionName;
    private final Function function;
    private volatile boolean retired;

    EmulatedPipeline(String functionName, Function function) {
        this.functionName = functionName;
        this.function = function;
    }

    /** {@inheritDoc} */
    @Override
    public String getFunctionName() {
        return functionName;
    }

    /** {@inheritDoc} */
    @Override
    public int getMaxTotalThreadsPerThreadgroup() {
        return MAX_THREADS_PER_THREADGROUP;
    }

    /** {@inheritDoc} */
    @Override
    public int getThreadExecutionWidth() {
        return SIMD_WIDTH;
    }

    void retire() {
        retired = true;
    }

    Function function() {
        if (retired) {
            throw new IllegalStateException(
                    "The pipeline of " + functionName + " was released with its library");
        }
        return function;
    }
}
