package dev.djlmetal.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The prefill path of the cpu backend: the weight is dequantized a chunk of output rows at a time
 * into one reusable direct buffer, which is wrapped as a FLOAT32 tensor without a copy and
 * multiplied by the engine's float matmul (an optimized BLAS on PyTorch). Only one chunk exists at
 * a time (one buffer of at most {@value #CHUNK_FLOATS} floats, or one strip, per calling thread),
 * so no dequantized copy of the weight stays resident.
 *
 * <p>The rows are dequantized in the kernel's activation layout and the activations are laid out
 * the same way, which leaves every dot product unchanged. Dequantization runs on the calling
 * thread: the engine's matmul already uses every core, and its worker threads keep spinning for a
 * while after each chunk, so splitting the short dequantization across the fork-join pool as well
 * was not faster on two cores.
 */
final class ChunkedFloatProduct {

    /** The target size of one dequantized chunk in floats (2 MB, to stay in the L2/L3 caches). */
    static final int CHUNK_FLOATS = 1 << 19;

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    private ChunkedFloatProduct() {}

    /**
     * The per-thread buffers of one chunk, reused across calls: allocating megabytes of direct
     * memory per product makes the JVM collect garbage to reclaim it.
     */
    private static final class Scratch {

        final float[] rows;
        final ByteBuffer chunk;

        private Scratch(int floats) {
            rows = new float[floats];
            chunk = ByteBuffer.allocateDirect(floats * 4).order(ByteOrder.nativeOrder());
        }

        /** Returns this thread's buffers, grown to at least {@code floats} floats. */
        static Scratch forThread(int floats) {
            Scratch scratch = SCRATCH.get();
            if (scratch == null || scratch.rows.length < floats) {
                scratch = new Scratch(floats);
                SCRATCH.set(scratch);
            }
            return scratch;
        }
    }

    /**
     * Returns the number of weight rows dequantized at once for a weight.
     *
     * @param w the weight
     * @param kernel the kernel (for its strip height)
     * @return at least one strip, at most all rows
     */
    static int chunkRows(PackedMatrix w, CpuKernel kernel) {
        int strip = kernel.stripRows();
        int rows = Math.max(strip, CHUNK_FLOATS / w.columns() / strip * strip);
        return Math.min(rows, w.rows());
    }

    /**
     * Computes {@code x @ dequant(W)^T} for {@code m} activation rows.
     *
     * @param w the weight
     * @param kernel the kernel that dequantizes rows and lays out activations
     * @param x32 FLOAT32 activations with {@code m * K} elements
     * @param m the number of activation rows
     * @param chunkRows the number of weight rows dequantized at once
     * @param manager the manager of the result (temporaries live in a sub-manager of it)
     * @return a FLOAT32 {@code [m, N]} array on {@code manager}
     */
    static NDArray multiply(
            PackedMatrix w,
            CpuKernel kernel,
            NDArray x32,
            int m,
            int chunkRows,
            NDManager manager) {
        int k = w.columns();
        int n = w.rows();
        try (NDManager scope = manager.newSubManager()) {
            FloatBuffer input =
                    x32.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
            NDArray x = scope.create(kernel.layoutActivations(input, m, w), new Shape(m, k));
            Scratch scratch = Scratch.forThread(chunkRows * k);
            float[] rows = scratch.rows;
            ByteBuffer chunk = scratch.chunk;
            NDList parts = new NDList();
            for (int c0 = 0; c0 < n; c0 += chunkRows) {
                int height = Math.min(chunkRows, n - c0);
                for (int r = 0; r < height; r++) {
                    kernel.dequantizeRow(w, c0 + r, rows, r * k);
                }
                chunk.asFloatBuffer().put(0, rows, 0, height * k);
                ByteBuffer view = chunk.slice(0, height * k * 4).order(ByteOrder.nativeOrder());
                NDArray weights = scope.create(view, new Shape(height, k), DataType.FLOAT32);
                parts.add(x.matMul(weights.transpose()));
                weights.close();
            }
            NDArray out = parts.size() == 1 ? parts.singletonOrThrow() : NDArrays.concat(parts, 1);
            out.attach(manager);
            return out;
        }
    }
}
