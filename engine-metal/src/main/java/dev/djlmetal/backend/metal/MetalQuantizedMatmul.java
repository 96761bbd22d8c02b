package dev.djlmetal.backend.metal;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code affine_qmm_t} through the MSL kernels of {@link AffineQmmKernels} on a {@link
 * MetalDevice}. The kernel choice, grid sizes, buffer bindings and argument structs live here and
 * are the same for the Apple GPU and the CPU emulator.
 *
 * <p>Products with at most {@link #getDecodeMaxRows()} activation rows use the decode kernel,
 * larger ones the tiled kernel; the threshold is the backend property {@value
 * #DECODE_MAX_ROWS_PROPERTY}.
 */
public final class MetalQuantizedMatmul implements QuantizedMatmul {

    /**
     * The backend property holding the largest activation row count served by the decode kernel.
     */
    public static final String DECODE_MAX_ROWS_PROPERTY = "metal.decodeMaxRows";

    /** The default of {@value #DECODE_MAX_ROWS_PROPERTY} (to be tuned on Apple hardware). */
    public static final int DEFAULT_DECODE_MAX_ROWS = 8;

    /** The largest accepted value of {@value #DECODE_MAX_ROWS_PROPERTY}. */
    public static final int MAX_DECODE_MAX_ROWS = 4096;

    private final BackendKind kind;
    private final MetalDevice device;
    private final MetalLibrary library;
    private final int decodeMaxRows;

    /** The device's pipelines this backend has checked (SIMD width), by function name. */
    private final Map<String, MetalPipeline> pipelines = new ConcurrentHashMap<>();

    /**
     * Creates the backend on a device. The kernels are the device's library of {@link
     * AffineQmmKernels#source()}: compiled by the first backend created on that device and shared
     * by every later one (see {@link MetalDevice#library(String)}).
     *
     * @param kind the kind this backend reports ({@code METAL} or {@code METAL_EMULATED})
     * @param device the device to run on; it stays owned by the caller
     * @param settings the backend settings ({@value #DECODE_MAX_ROWS_PROPERTY} is read)
     * @throws IllegalArgumentException when a property has a bad value
     * @throws MetalException when the kernels do not compile
     */
    public MetalQuantizedMatmul(BackendKind kind, MetalDevice device, BackendSettings settings) {
        this.kind = kind;
        this.device = device;
        this.decodeMaxRows = parseDecodeMaxRows(settings);
        this.library = device.library(AffineQmmKernels.source());
    }

    private static int parseDecodeMaxRows(BackendSettings settings) {
        String value =
                settings.getProperty(
                        DECODE_MAX_ROWS_PROPERTY, Integer.toString(DEFAULT_DECODE_MAX_ROWS));
        int rows;
        try {
            rows = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            rows = -1;
        }
        if (rows < 0 || rows > MAX_DECODE_MAX_ROWS) {
            throw new IllegalArgumentException(
                    "Unsupported "
                            + DECODE_MAX_ROWS_PROPERTY
                            + "="
                            + value
                            + "; expected an integer from 0 to "
                            + MAX_DECODE_MAX_ROWS);
        }
        return rows;
    }

    /** {@inheritDoc} */
    @Override
    public BackendKind kind() {
        return kind;
    }

    /**
     * Returns the largest number of activation rows served by the decode kernel.
     *
     * @return the threshold
     */
    public int getDecodeMaxRows() {
        return decodeMaxRows;
    }

    /**
     * Returns the device the kernels run on.
     *
     * @return the device
     */
    public MetalDevice getDevice() {
        return device;
    }

    /**
     * Uploads the packed codes and the scales and biases (as float32) to shared device buffers,
     * once per layer.
     *
     * @param weight the quantized weight {@code [N, K]}
     * @return a handle computing products on the device
     */
    @Override
    public PreparedWeight prepare(QuantizedTensor weight) {
        return MetalPreparedWeight.upload(this, weight);
    }

    MetalPipeline pipeline(String functionName) {
        return pipelines.computeIfAbsent(functionName, this::checkedPipeline);
    }

    private MetalPipeline checkedPipeline(String functionName) {
        MetalPipeline pipeline = library.pipeline(functionName);
        if (pipeline.getThreadExecutionWidth() != AffineQmmKernels.SIMD_SIZE) {
            throw new MetalException(
                    "Kernel "
                            + functionName
                            + " needs SIMD groups of "
                            + AffineQmmKernels.SIMD_SIZE
                            + " lanes, device "
                            + device.getName()
                            + " has "
                            + pipeline.getThreadExecutionWidth());
        }
        return pipeline;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MetalQuantizedMatmul{" + kind + " on " + device.getName() + '}';
    }
}
