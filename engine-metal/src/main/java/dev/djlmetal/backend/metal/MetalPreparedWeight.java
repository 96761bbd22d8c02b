package dev.djlmetal.backend.metal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.EngineOwnedArrays;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.quant.QuantSpec;
import dev.djlmetal.quant.QuantizedTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A quantized weight resident in shared device buffers: packed codes as uploaded (the uint32 words
 * of the little-endian bit stream), scales and biases as float32. Activations are copied in and the
 * product copied out on every call, into an array whose memory the engine owns ({@link
 * EngineOwnedArrays}), so views of it stay valid after it is closed.
 */
final class MetalPreparedWeight implements PreparedWeight {

    private final MetalQuantizedMatmul backend;
    private final QuantSpec spec;
    private final int rows;
    private final int columns;
    private final MetalBuffer codes;
    private final MetalBuffer scales;
    private final MetalBuffer biases;
    private volatile boolean closed;

    private MetalPreparedWeight(
            MetalQuantizedMatmul backend,
            QuantSpec spec,
            int rows,
            int columns,
            MetalBuffer codes,
            MetalBuffer scales,
            MetalBuffer biases) {
        this.backend = backend;
        this.spec = spec;
        this.rows = rows;
        this.columns = columns;
        this.codes = codes;
        this.scales = scales;
        this.biases = biases;
    }

    static MetalPreparedWeight upload(MetalQuantizedMatmul backend, QuantizedTensor weight) {
        long n = weight.rows();
        long k = weight.columns();
        long codeBytes = n * k / 8 * weight.bits();
        if (n < 1 || k < 1 || codeBytes > Integer.MAX_VALUE || n * k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "The Metal backend supports weights with 1 to "
                            + Integer.MAX_VALUE
                            + " elements and packed codes below 2 GiB, got "
                            + weight);
        }
        MetalDevice device = backend.getDevice();
        MetalBuffer codes = device.newBuffer(codeBytes);
        MetalBuffer scales = null;
        MetalBuffer biases = null;
        try {
            int[] words = weight.packed().toIntArray();
            codes.contents().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().put(words);
            scales = uploadFloats(device, weight.scales());
            biases = uploadFloats(device, weight.biases());
        } catch (RuntimeException e) {
            closeAll(codes, scales, biases);
            throw e;
        }
        return new MetalPreparedWeight(
                backend, weight.spec(), (int) n, (int) k, codes, scales, biases);
    }

    private static MetalBuffer uploadFloats(MetalDevice device, NDArray array) {
        float[] values;
        if (array.getDataType() == DataType.FLOAT32) {
            values = array.toFloatArray();
        } else {
            try (NDArray asFloat = array.toType(DataType.FLOAT32, true)) {
                values = asFloat.toFloatArray();
            }
        }
        MetalBuffer buffer = device.newBuffer((long) values.length * Float.BYTES);
        buffer.contents().asFloatBuffer().put(values);
        return buffer;
    }

    private static void closeAll(MetalBuffer... buffers) {
        for (MetalBuffer buffer : buffers) {
            if (buffer != null) {
                buffer.close();
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray apply(NDArray x) {
        if (closed) {
            throw new IllegalStateException("This Metal weight " + describe() + " was closed");
        }
        DataType dataType = x.getDataType();
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT16) {
            throw new IllegalArgumentException(
                    "Metal affine_qmm_t activations must be FLOAT32 or FLOAT16, got "
                            + dataType.name()
                            + " for weight "
                            + describe());
        }
        Shape shape = x.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != columns) {
            throw new IllegalArgumentException(
                    "Activations "
                            + shape
                            + " must end in K="
                            + columns
                            + " for weight "
                            + describe());
        }
        Shape outShape = shape.slice(0, shape.dimension() - 1).add(rows);
        long m = shape.size() / columns;
        NDManager manager = x.getManager();
        if (m == 0) {
            return manager.zeros(outShape, dataType);
        }
        int elementBytes = dataType.getNumOfBytes();
        if (m > Integer.MAX_VALUE / Math.max(columns, rows) / elementBytes) {
            throw new IllegalArgumentException(
                    "Activations " + shape + " are too large for one Metal dispatch");
        }
        int mRows = (int) m;
        KernelLaunch launch =
                AffineQmmKernels.plan(mRows, rows, dataType, spec, backend.getDecodeMaxRows());
        MetalDevice device = backend.getDevice();
        try (MetalBuffer input = device.newBuffer(m * columns * elementBytes);
                MetalBuffer output = device.newBuffer(m * rows * elementBytes)) {
            input.contents().put(x.toByteBuffer());
            device.dispatch(
                    backend.pipeline(launch.getFunctionName()),
                    List.of(codes, scales, biases, input, output),
                    AffineQmmKernels.arguments(mRows, rows, columns),
                    launch.getThreadgroups(),
                    launch.getThreadsPerThreadgroup());
            ByteBuffer product = output.contents();
            return EngineOwnedArrays.create(
                    manager, outShape, dataType, memory -> memory.put(product));
        }
    }

    private String describe() {
        return "[" + rows + ", " + columns + "] " + spec;
    }

    /** {@inheritDoc} */
    @Override
    public long extraResidentBytes() {
        return codes.length() + scales.length() + biases.length();
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        closed = true;
        closeAll(codes, scales, biases);
    }
}
