package dev.djlmetal.backend.cpu;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;

/**
 * The cpu backend: fused dequantize and matmul on packed weights, in Java SIMD code when the Vector
 * API module is enabled and in scalar Java otherwise, multithreaded over output rows.
 *
 * <p>Products with at least {@value #DEFAULT_BLAS_MIN_ROWS} activation rows (prefill; the backend
 * setting {@value #BLAS_MIN_ROWS_SETTING} changes the threshold) dequantize the weight a chunk of
 * rows at a time and multiply each chunk with the engine's float matmul, which is faster there than
 * the fused kernels; no dequantized copy of the weight is kept.
 */
public final class CpuQuantizedMatmul implements QuantizedMatmul {

    /**
     * The backend setting ({@link BackendSettings#getProperty}) holding the number of activation
     * rows from which products use the chunked float matmul.
     */
    public static final String BLAS_MIN_ROWS_SETTING = "cpu.blasMinRows";

    /** The default of {@link #BLAS_MIN_ROWS_SETTING}. */
    public static final int DEFAULT_BLAS_MIN_ROWS = 16;

    /**
     * The backend setting holding the number of threads a product may use (the calling thread
     * included). Without it, every such backend shares one pool sized by the system property {@code
     * djlmetal.cpu.threads}, or one thread per available processor.
     */
    public static final String THREADS_SETTING = "cpu.threads";

    private final CpuKernel kernel;
    private final int blasMinRows;
    private final RowParallel rowParallel;

    /**
     * Creates the backend, choosing its kernel from the settings and the JVM (see {@link
     * CpuKernels}), its prefill threshold from {@value #BLAS_MIN_ROWS_SETTING} and its threads from
     * {@value #THREADS_SETTING}.
     *
     * @param settings the backend settings
     * @throws IllegalArgumentException when {@value #BLAS_MIN_ROWS_SETTING} or {@value
     *     #THREADS_SETTING} is not a positive integer
     */
    public CpuQuantizedMatmul(BackendSettings settings) {
        this(CpuKernels.select(settings), blasMinRows(settings), rowParallel(settings));
        OpenMpAdvice.logOnce();
    }

    CpuQuantizedMatmul(CpuKernel kernel) {
        this(kernel, DEFAULT_BLAS_MIN_ROWS, RowParallel.shared());
    }

    CpuQuantizedMatmul(CpuKernel kernel, int blasMinRows, RowParallel rowParallel) {
        this.kernel = kernel;
        this.blasMinRows = blasMinRows;
        this.rowParallel = rowParallel;
    }

    private static RowParallel rowParallel(BackendSettings settings) {
        String threads = settings.getProperty(THREADS_SETTING, null);
        if (threads == null) {
            return RowParallel.shared();
        }
        return RowParallel.withThreads(
                RowParallel.threads(threads, "The backend setting " + THREADS_SETTING));
    }

    private static int blasMinRows(BackendSettings settings) {
        String value =
                settings.getProperty(BLAS_MIN_ROWS_SETTING, String.valueOf(DEFAULT_BLAS_MIN_ROWS));
        int rows;
        try {
            rows = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            rows = 0;
        }
        if (rows < 1) {
            throw new IllegalArgumentException(
                    "The backend setting "
                            + BLAS_MIN_ROWS_SETTING
                            + " must be a positive integer (activation rows), got '"
                            + value
                            + "'");
        }
        return rows;
    }

    /** {@inheritDoc} */
    @Override
    public BackendKind kind() {
        return BackendKind.CPU;
    }

    /**
     * Returns the number of threads a product may use.
     *
     * @return the calling thread plus the pool's workers
     */
    public int threads() {
        return rowParallel.threads();
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
        return new CpuPreparedWeight(new PackedMatrix(weight), kernel, blasMinRows, rowParallel);
    }
}
