package dev.djlmetal.backend.metal;

/** A compiled kernel function ready to dispatch ({@code MTLComputePipelineState}). */
public interface MetalPipeline {

    /**
     * Returns the kernel's host name.
     *
     * @return the function name, for example {@code affine_qmv_float_b4_g64}
     */
    String getFunctionName();

    /**
     * Returns the largest threadgroup this pipeline can be dispatched with.
     *
     * @return the maximum number of threads per threadgroup
     */
    int getMaxTotalThreadsPerThreadgroup();

    /**
     * Returns the number of lanes per SIMD group.
     *
     * @return the thread execution width
     */
    int getThreadExecutionWidth();
}
