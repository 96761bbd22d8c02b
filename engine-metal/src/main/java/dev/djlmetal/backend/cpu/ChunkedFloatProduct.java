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
 * a time (one buffer of at most {@value #CHUNK_FLOATS} floats, or one strip, per calling thread,
 * next to a reusable buffer for the laid-out activations), so no dequantized copy of the weight
 * stays resident.
 *
 * <p>The rows are dequantized in the kernel's activation layout and the activations are laid out
 * the same way, which leaves every dot product unchanged. Each chunk is dequantized by the
 * backend's threads ({@link RowParallel}), straight into the direct buffer, between the engine's
 * matmuls (which use every core themselves; with {@code OMP_WAIT_POLICY=PASSIVE} their threads
 * sleep instead of spinning while the chunk is made).
 */
final class ChunkedFloatProduct {

    /** The target size of one dequantized chunk in floats (2 MB, to stay in the L2/L3 caches). */
    static final int CHUNK_FLOATS = 1 << 19;

    /**
     * The fewest rows of a chunk: long rows (an MLP's down projection) would otherwise make chunks
     * of a few dozen rows, whose narrow products the engine's matmul runs far below its speed on
     * wide ones.
     */
    static final int MIN_CHUNK_ROWS = 256;

    /**
     * The largest activation matrix laid out in the reusable per-thread buffers (8 MB, a prefill of
     * a few hundred tokens); larger ones get buffers of their own, so that one long prompt does not
     * pin its size for the life of the thread.
     */
    static final int ACTIVATION_SCRATCH_FLOATS = 1 << 21;

    private static final ThreadLocal<Scratch> SCRATCH = new ThreadLocal<>();

    private ChunkedFloatProduct() {}

    /**
     * The per-thread buffers of one chunk, reused across calls: allocating megabytes of direct
     * memory per product makes the JVM collect garbage to reclaim it.
     */
    private static final class Scratch {

        final int chunkFloats;
        final ByteBuffer chunk;
        final float[] activations;
        final ByteBuffer activationBytes;

        private Scratch(int chunkFloats, int activationFloats) {
            this.chunkFloats = chunkFloats;
            chunk = ByteBuffer.allocateDirect(chunkFloats * 4).order(ByteOrder.nativeOrder());
            activations = new float[activationFloats];
            activationBytes =
                    ByteBuffer.allocateDirect(activationFloats * 4).order(ByteOrder.nativeOrder());
        }

        /**
         * Returns this thread's buffers, grown to at least {@code chunkFloats} and {@code
         * activationFloats} floats.
         */
        static Scratch forThread(int chunkFloats, int activationFloats) {
            Scratch scratch = SCRATCH.get();
            if (scratch == null
                    || scratch.chunkFloats < chunkFloats
                    || scratch.activations.length < activationFloats) {
                int chunk = Math.max(chunkFloats, scratch == null ? 0 : scratch.chunkFloats);
                int laid =
                        Math.max(
                                activationFloats, scratch == null ? 0 : scratch.activations.length);
                scratch = new Scratch(chunk, laid);
                SCRATCH.set(scratch);
            }
            return scratch;
        }
    }

    /** Each dequantizing thread's row, grown to the longest row it has dequantized. */
    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Returns the number of weight rows dequantized at once for a weight.
     *
     * @param w the weight
     * @param kernel the kernel (for its strip height)
     * @return at least one strip, at most all rows
     */
    static int chunkRows(PackedMatrix w, CpuKernel kernel) {
        int strip = kernel.stripRows();
        int rows = Math.max(MIN_CHUNK_ROWS, CHUNK_FLOATS / kernel.laidColumns(w)) / strip * strip;
        return Math.min(Math.max(strip, rows), w.rows());
    }

    /**
     * Computes {@code x @ dequant(W)^T} for {@code m} activation rows.
     *
     * @param w the weight
     * @param kernel the kernel that dequantizes rows and lays out activations
     * @param x32 FLOAT32 activations with {@code m * K} elements
     * @param m the number of activation rows
     * @param chunkRows the number of weight rows dequantized at once
     * @param threads the threads that dequantize each chunk
     * @param manager the manager of the result (temporaries live in a sub-manager of it)
     * @return a FLOAT32 {@code [m, N]} array on {@code manager}
     */
    static NDArray multiply(
            PackedMatrix w,
            CpuKernel kernel,
            NDArray x32,
            int m,
            int chunkRows,
            RowParallel threads,
            NDManager manager) {
        int k = kernel.laidColumns(w);
        int n = w.rows();
        try (NDManager scope = manager.newSubManager()) {
            FloatBuffer input =
                    x32.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
            int activationFloats = m * k;
            boolean reuse = activationFloats <= ACTIVATION_SCRATCH_FLOATS;
            Scratch scratch = Scratch.forThread(chunkRows * k, reuse ? activationFloats : 0);
            NDArray x;
            if (reuse) {
                kernel.layoutActivations(input, m, w, scratch.activations);
                scratch.activationBytes
                        .asFloatBuffer()
                        .put(0, scratch.activations, 0, activationFloats);
                ByteBuffer laid =
                        scratch.activationBytes
                                .slice(0, activationFloats * 4)
                                .order(ByteOrder.nativeOrder());
                x = scope.create(laid, new Shape(m, k), DataType.FLOAT32);
            } else {
                x = scope.create(kernel.layoutActivations(input, m, w), new Shape(m, k));
            }
            ByteBuffer chunk = scratch.chunk;
            NDList parts = new NDList();
            for (int c0 = 0; c0 < n; c0 += chunkRows) {
                int height = Math.min(chunkRows, n - c0);
                int first = c0;
                threads.forRows(
                        height,
                        1,
                        k,
                        (r0, r1) -> dequantizeRows(w, kernel, first, r0, r1, k, chunk));
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

    /** Dequantizes rows {@code [first + r0, first + r1)} into rows {@code [r0, r1)} of a chunk. */
    private static void dequantizeRows(
            PackedMatrix w, CpuKernel kernel, int first, int r0, int r1, int k, ByteBuffer chunk) {
        float[] row = ROW.get();
        if (row.length < k) {
            row = new float[k];
            ROW.set(row);
        }
        FloatBuffer target = chunk.asFloatBuffer();
        for (int r = r0; r < r1; r++) {
            kernel.dequantizeRow(w, first + r, row, 0);
            target.put(r * k, row, 0, k);
        }
    }
}
