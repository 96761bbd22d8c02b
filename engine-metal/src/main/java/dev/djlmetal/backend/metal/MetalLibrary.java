package dev.djlmetal.backend.metal;

/** Kernels compiled from one Metal Shading Language source ({@code MTLLibrary}). */
public interface MetalLibrary extends AutoCloseable {

    /**
     * Returns the pipeline of one kernel function, creating it on the first request for that
     * function. The library owns its pipelines and releases them when it is closed.
     *
     * @param functionName the kernel's host name
     * @return the pipeline
     * @throws MetalException naming the function when the library has no such kernel or it cannot
     *     be built
     * @throws IllegalStateException when the library was closed
     */
    MetalPipeline pipeline(String functionName);

    /** Releases the library and the pipelines made from it. */
    @Override
    void close();
}
