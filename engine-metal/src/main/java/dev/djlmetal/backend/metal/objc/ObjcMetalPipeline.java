package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import dev.djlmetal.backend.metal.MetalPipeline;

/** An {@code MTLComputePipelineState}; owns one retain, released with its library. */
final class ObjcMetalPipeline implements MetalPipeline {

    private final String functionName;
    private final Pointer state;
    private final int maxTotalThreadsPerThreadgroup;
    private final int threadExecutionWidth;

    ObjcMetalPipeline(String functionName, Pointer state) {
        this.functionName = functionName;
        this.state = state;
        this.maxTotalThreadsPerThreadgroup =
                (int) Objc.rt().msgSendLong(state, Objc.sel("maxTotalThreadsPerThreadgroup"));
        this.threadExecutionWidth =
                (int) Objc.rt().msgSendLong(state, Objc.sel("threadExecutionWidth"));
    }

    Pointer handle() {
        return state;
    }

    /** {@inheritDoc} */
    @Override
    public String getFunctionName() {
        return functionName;
    }

    /** {@inheritDoc} */
    @Override
    public int getMaxTotalThreadsPerThreadgroup() {
        return maxTotalThreadsPerThreadgroup;
    }

    /** {@inheritDoc} */
    @Override
    public int getThreadExecutionWidth() {
        return threadExecutionWidth;
    }
}
