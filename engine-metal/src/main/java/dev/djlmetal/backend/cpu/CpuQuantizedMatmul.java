package dev.djlmetal.backend.cpu;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;

/**
 * The cpu backend: fused dequantize and matmul on packed weights, in Java SIMD code when the Vector
 * API module is enabled and in scalar Java otherwise, multithreaded over output rows.
 */
public final class CpuQuantizedMatmul implements QuantizedMatmul {

    private final CpuKernel kernel;

    /**
     * Creates the backend, choosing its kernel from the settings and the JVM (see {@link
     * CpuKernels}).
     *
     * @param settings the backend settings
     */
    public CpuQuantizedMatmul(BackendSettings settings) {
        this(CpuKernels.select(settings));
    }

    CpuQuantizedMatmul(CpuKernel kernel) {
        this.kernel = kernel;
    }

    /** {@inheritDoc} */
    @Override
    public BackendKind kind() {
        return BackendKind.CPU;
    }

    /**
     * Returns the name of the kernel in use.
     *
     * @return for example {@code vector-256bit} or {@code scalar}
     */
    public String kernelName() {
        return kernel.name();
    }

    /**
     * {@inheritDoc}
     *
     * <p>The weight's arrays must stay open while the returned handle is used: the handle reads
     * their memory directly.
     */
    @Override
    public CpuPreparedWeight prepare(QuantizedTensor weight) {
        return new CpuPreparedWeight(new PackedMatrix(weight), kernel);
    }
}
