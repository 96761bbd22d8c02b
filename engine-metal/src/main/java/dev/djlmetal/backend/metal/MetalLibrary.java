package dev.djlmetal.backend.metal;

/** Kernels compiled from one Metal Shading Language source ({@code MTLLibrary}). */
public interface MetalLibrary extends AutoCloseable {

    /**
     * Creates the pipeline of one kernel function. Callers cache the result.
     *
     * @param functionName the kernel's host name
     * @return the pipeline
     * @throws MetalException naming the function when the library has no such kernel or it cannot
     *     be built
     */
    MetalPipeline newPipeline(String functionName);

    /** Releases the library and the pipelines made from it. */
    @Override
    void close();
}
