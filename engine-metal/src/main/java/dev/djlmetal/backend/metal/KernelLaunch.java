package dev.djlmetal.backend.metal;

/** One planned kernel launch: which kernel, how many threadgroups, how many threads in each. */
public final class KernelLaunch {

    private final String functionName;
    private final boolean decode;
    private final MetalSize threadgroups;
    private final MetalSize threadsPerThreadgroup;

    KernelLaunch(
            String functionName,
            boolean decode,
            MetalSize threadgroups,
            MetalSize threadsPerThreadgroup) {
        this.functionName = functionName;
        this.decode = decode;
        this.threadgroups = threadgroups;
        this.threadsPerThreadgroup = threadsPerThreadgroup;
    }

    /**
     * Returns the kernel's host name.
     *
     * @return for example {@code affine_qmm_half_b3_g32}
     */
    public String getFunctionName() {
        return functionName;
    }

    /**
     * Returns whether this is the decode (matrix-vector) kernel rather than the tiled one.
     *
     * @return true for {@code affine_qmv}
     */
    public boolean isDecode() {
        return decode;
    }

    /**
     * Returns the grid, in threadgroups.
     *
     * @return threadgroups per dimension
     */
    public MetalSize getThreadgroups() {
        return threadgroups;
    }

    /**
     * Returns the threadgroup size.
     *
     * @return threads per threadgroup per dimension
     */
    public MetalSize getThreadsPerThreadgroup() {
        return threadsPerThreadgroup;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return functionName + " grid=" + threadgroups + " threadgroup=" + threadsPerThreadgroup;
    }
}
