package dev.djlmetal.backend.cpu;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.EngineOwnedArrays;
import dev.djlmetal.backend.PreparedWeight;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * One quantized weight ready for the cpu kernels. It keeps no dequantized copy: products decode the
 * packed words on the fly.
 *
 * <p>Activations are read through {@code NDArray.toByteBuffer(true)} (a direct buffer over the
 * tensor memory for contiguous FLOAT32 CPU tensors on PyTorch; FLOAT16 inputs are first converted
 * to FLOAT32), copied once into the kernel's heap layout ({@code M * K} floats, small next to the
 * weight), and the kernel writes the result straight into the memory of an output array that
 * PyTorch allocated (on other engines, into a staging buffer copied into the output array).
 */
public final class CpuPreparedWeight implements PreparedWeight, ArrayProduct {

    /** The name of the path that decodes packed words inside the kernel's dot products. */
    public static final String FUSED_PATH = "fused";

    /** The name of the path that dequantizes row chunks and multiplies them with the engine. */
    public static final String BLAS_PATH = "blas";

    /**
     * The calling thread's laid-out activations and group sums, reused from product to product (the
     * workers only read them, and a call returns after they are done): a decoding step makes over a
     * hundred products, whose garbage would otherwise grow the heap.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private final PackedMatrix matrix;
    private final CpuKernel kernel;
    private final int blasMinRows;
    private final RowParallel rowParallel;

    CpuPreparedWeight(
            PackedMatrix matrix, CpuKernel kernel, int blasMinRows, RowParallel rowParallel) {
        this.matrix = matrix;
        this.kernel = kernel;
        this.blasMinRows = blasMinRows;
        this.rowParallel = rowParallel;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray apply(NDArray x) {
        matrix.checkOpen();
        DataType type = x.getDataType();
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16) {
            throw new IllegalArgumentException(
                    "The cpu backend multiplies FLOAT32 or FLOAT16 activations, got " + type);
        }
        Shape shape = x.getShape();
        int k = matrix.columns();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != k) {
            throw new IllegalArgumentException(
                    "Activations "
                            + shape
                            + " must end in K="
                            + k
                            + " to multiply with "
                            + matrix.source());
        }
        if (!Device.Type.CPU.equals(x.getDevice().getDeviceType())) {
            throw new IllegalArgumentException(
                    "The cpu backend needs activations on the CPU, got " + x.getDevice());
        }
        int n = matrix.rows();
        int m = Math.toIntExact(shape.size() / k);
        Shape outShape = shape.slice(0, shape.dimension() - 1).add(n);
        if (m >= blasMinRows) {
            return applyChunked(x, m, outShape);
        }
        NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray out;
        try {
            FloatBuffer input =
                    x32.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
            out = multiplyInto(input, m, outShape, x.getManager());
        } finally {
            if (x32 != x) {
                x32.close();
            }
        }
        if (type == DataType.FLOAT32) {
            return out;
        }
        NDArray half = out.toType(type, false);
        out.close();
        return half;
    }

    /**
     * Multiplies into a new FLOAT32 array whose memory the engine owns: on PyTorch the kernel
     * writes straight into it (see {@link EngineOwnedArrays}).
     */
    private NDArray multiplyInto(FloatBuffer input, int m, Shape outShape, NDManager manager) {
        return EngineOwnedArrays.create(
                manager,
                outShape,
                DataType.FLOAT32,
                memory -> multiply(input, m, memory.asFloatBuffer()));
    }

    private NDArray applyChunked(NDArray x, int m, Shape outShape) {
        DataType type = x.getDataType();
        NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray out;
        try {
            out =
                    ChunkedFloatProduct.multiply(
                            matrix,
                            kernel,
                            x32,
                            m,
                            ChunkedFloatProduct.chunkRows(matrix, kernel),
                            rowParallel,
                            x.getManager());
        } finally {
            if (x32 != x) {
                x32.close();
            }
        }
        NDArray shaped = out.reshape(outShape);
        if (shaped != out) {
            out.close();
        }
        if (type == DataType.FLOAT32) {
            return shaped;
        }
        NDArray half = shaped.toType(type, false);
        shaped.close();
        return half;
    }

    /**
     * Computes {@code m} rows of {@code x @ dequant(W)^T} into {@code out} (row-major {@code [m,
     * N]}).
     *
     * @param input {@code m * K} activations
     * @param m the number of activation rows
     * @param out receives {@code m * N} floats
     */
    void multiply(FloatBuffer input, int m, FloatBuffer out) {
        if (m == 0) {
            return;
        }
        long k = matrix.columns();
        Scratch scratch = SCRATCH.get().grow(m * kernel.laidColumns(matrix), m * matrix.groups());
        float[] x = scratch.activations;
        float[] sums = scratch.groupSums;
        kernel.matvecActivations(input, m, matrix, x);
        CpuKernel.groupSums(input, m, matrix, sums);
        if (m == 1) {
            rowParallel.forRows(
                    matrix.rows(), 16, k, (n0, n1) -> kernel.matvec(matrix, x, sums, out, n0, n1));
        } else {
            rowParallel.forRows(
                    matrix.rows(),
                    16,
                    k * m,
                    (n0, n1) -> kernel.smallBatch(matrix, x, m, sums, out, n0, n1));
        }
    }

    /** {@inheritDoc} */
    @Override
    public int inFeatures() {
        return matrix.columns();
    }

    /** {@inheritDoc} */
    @Override
    public int outFeatures() {
        return matrix.rows();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Runs the fused kernels (matrix-vector or small batch) whatever {@code m}: meant for the
     * few rows of a decoding step.
     */
    @Override
    public void multiply(float[] x, int m, float[] out) {
        matrix.checkOpen();
        multiply(FloatBuffer.wrap(x), m, FloatBuffer.wrap(out));
    }

    /**
     * Returns the name of the kernel this weight runs on.
     *
     * @return for example {@code vector-256bit} or {@code scalar}
     */
    public String kernelName() {
        return kernel.name();
    }

    /**
     * Returns the path a product with {@code m} activation rows takes: {@value #FUSED_PATH} below
     * the backend's {@code cpu.blasMinRows} threshold, {@value #BLAS_PATH} at or above it.
     *
     * @param m the number of activation rows (all dimensions but the last multiplied)
     * @return {@value #FUSED_PATH} or {@value #BLAS_PATH}
     */
    public String pathName(long m) {
        return m >= blasMinRows ? BLAS_PATH : FUSED_PATH;
    }

    /** {@inheritDoc} */
    @Override
    public long extraResidentBytes() {
        return matrix.extraBytes();
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        matrix.close();
    }

    /** Growable per-thread buffers of one product's activations. */
    private static final class Scratch {

        float[] activations = new float[0];
        float[] groupSums = new float[0];

        Scratch grow(int activationFloats, int sums) {
            if (activations.length < activationFloats) {
                activations = new float[activationFloats];
            }
            if (groupSums.length < sums) {
                groupSums = new float[sums];
            }
            return this;
        }
    }
}
