package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import dev.djlmetal.backend.metal.MetalPipeline;

/** An {@code MTLComputePipelineState}; owns one retain, released with its library. */
final class ObjcMetalPipeline implements MetalPipeline {

    private final String functionName;
    private final Pointer state;
    private final int maxTotalThreadsPerThreadgroup;
    private final int threadExecutionWidth;
    private boolean released;

    /** Reads the pipeline's limits; call inside an autorelease pool. */
    ObjcMetalPipeline(Objc objc, String functionName, Pointer state) {
        this.functionName = functionName;
        this.state = state;
        this.maxTotalThreadsPerThreadgroup =
                (int) objc.rt().msgSendLong(state, objc.sel("maxTotalThreadsPerThreadgroup"));
        this.threadExecutionWidth =
                (int) objc.rt().msgSendLong(state, objc.sel("threadExecutionWidth"));
    }

    /**
     * Retains the pipeline state for a dispatch and returns it; call inside an autorelease pool and
     * balance with {@link #releaseAfterDispatch(Objc)}.
     *
     * @param objc the runtime
     * @return the handle
     * @throws IllegalStateException when the library (and with it this pipeline) was released
     */
    synchronized Pointer acquire(Objc objc) {
        if (released) {
            throw new IllegalStateException(
                    "The Metal pipeline of " + functionName + " was released with its library");
        }
        objc.retain(state);
        return state;
    }

    /** Drops the reference {@link #acquire(Objc)} took; call inside an autorelease pool. */
    void releaseAfterDispatch(Objc objc) {
        objc.release(state);
    }

    /** Marks the pipeline released and returns the handle to release. */
    synchronized Pointer retire() {
        released = true;
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
