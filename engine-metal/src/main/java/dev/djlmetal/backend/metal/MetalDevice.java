package dev.djlmetal.backend.metal;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The thin device layer the Metal backend dispatches through: compile MSL, allocate shared buffers,
 * run one kernel over a grid and wait for it. Implemented by the Apple GPU ({@code metal.objc}) and
 * by the CPU emulator ({@code metal.emulator}); everything above it is shared.
 *
 * <p>Implementations are thread-safe.
 */
public interface MetalDevice extends AutoCloseable {

    /**
     * Returns a human-readable name of the device.
     *
     * @return the name, for example {@code Apple M2} or {@code CPU emulator (g++)}
     */
    String getName();

    /**
     * Compiles a Metal Shading Language source into a library the caller owns (and closes).
     *
     * @param source the MSL text
     * @return the compiled library
     * @throws MetalException with the compiler's diagnostics when the source does not compile
     */
    MetalLibrary compileLibrary(String source);

    /**
     * Returns the library of a source compiled on this device, compiling it on the first request
     * for that source only. The device owns the library and the pipelines made from it and releases
     * them in {@link #close()}; callers must not close it.
     *
     * @param source the MSL text
     * @return the cached library
     * @throws MetalException with the compiler's diagnostics when the source does not compile
     * @throws IllegalStateException when the device was closed
     */
    MetalLibrary library(String source);

    /**
     * Allocates a zero-filled buffer in shared storage.
     *
     * @param length the size in bytes, at least 1
     * @return the buffer
     * @throws IllegalArgumentException when the length is out of range
     */
    MetalBuffer newBuffer(long length);

    /**
     * Runs a kernel over a grid and waits until it completes. Buffer {@code i} is bound at index
     * {@code i}; the argument bytes are bound (copied) at index {@code buffers.size()}.
     *
     * @param pipeline the kernel
     * @param buffers the buffers, in binding order
     * @param arguments the argument struct, read from position 0 to its limit
     * @param threadgroups the number of threadgroups in each dimension
     * @param threadsPerThreadgroup the threads of one threadgroup in each dimension
     * @throws MetalException when the device reports an error
     */
    void dispatch(
            MetalPipeline pipeline,
            List<MetalBuffer> buffers,
            ByteBuffer arguments,
            MetalSize threadgroups,
            MetalSize threadsPerThreadgroup);

    /**
     * Releases the device's resources: its cached libraries and their pipelines, its command queue
     * and the device reference. Buffers stay owned by their users.
     */
    @Override
    void close();

    /**
     * Checks what every device checks before a dispatch: the pipeline was made by this kind of
     * device, and the threadgroup fits the pipeline.
     *
     * @param device the device asked to dispatch
     * @param pipeline the pipeline
     * @param pipelineType the pipeline class this device makes
     * @param threadsPerThreadgroup the threadgroup size
     * @throws IllegalArgumentException naming the pipeline and the limit
     */
    static void checkDispatch(
            MetalDevice device,
            MetalPipeline pipeline,
            Class<? extends MetalPipeline> pipelineType,
            MetalSize threadsPerThreadgroup) {
        if (!pipelineType.isInstance(pipeline)) {
            throw new IllegalArgumentException(
                    "Pipeline "
                            + pipeline.getFunctionName()
                            + " does not belong to "
                            + device.getName());
        }
        if (threadsPerThreadgroup.count() > pipeline.getMaxTotalThreadsPerThreadgroup()) {
            throw new IllegalArgumentException(
                    "Threadgroup "
                            + threadsPerThreadgroup
                            + " exceeds "
                            + pipeline.getMaxTotalThreadsPerThreadgroup()
                            + " threads for "
                            + pipeline.getFunctionName());
        }
    }
}
