package dev.djlmetal.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * An {@link ArrayProduct} over a FLOAT32 weight {@code [N, K]} that stays where it is: on PyTorch
 * the product reads the tensor's own memory (a direct buffer view, no copy), one row at a time into
 * a per-thread array, and splits rows across the cpu backend's threads. Used by decoders for the
 * layers a model keeps in float (an output projection, say). The weight array must stay open while
 * the product is used.
 */
public final class FloatWeightProduct implements ArrayProduct {

    private static final ThreadLocal<float[]> ROW = ThreadLocal.withInitial(() -> new float[0]);

    private final NDArray source;
    private final FloatBuffer weights;
    private final int rows;
    private final int columns;
    private final DecodeMath math;
    private final RowParallel rowParallel;

    private FloatWeightProduct(NDArray source, FloatBuffer weights, int rows, int columns) {
        this.source = source;
        this.weights = weights;
        this.rows = rows;
        this.columns = columns;
        this.math = DecodeMath.get();
        this.rowParallel = RowParallel.shared();
    }

    /**
     * Wraps a FLOAT32 weight matrix.
     *
     * @param weight {@code [N, K]}, FLOAT32
     * @return the product
     * @throws IllegalArgumentException when the weight is not a FLOAT32 matrix
     */
    public static FloatWeightProduct of(NDArray weight) {
        if (weight.getDataType() != DataType.FLOAT32 || weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException(
                    "A float product needs a FLOAT32 [N, K] weight, got "
                            + weight.getDataType()
                            + " "
                            + weight.getShape());
        }
        long n = weight.getShape().get(0);
        long k = weight.getShape().get(1);
        if (n * k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "A float product handles at most 2^31 - 1 weights, got " + weight.getShape());
        }
        ByteBuffer bytes = weight.toByteBuffer(true);
        if (!bytes.isDirect()) {
            ByteBuffer direct = ByteBuffer.allocateDirect(bytes.remaining());
            direct.order(bytes.order()).put(bytes.duplicate()).flip();
            bytes = direct;
        }
        FloatBuffer floats = bytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
        return new FloatWeightProduct(weight, floats, (int) n, (int) k);
    }

    @Override
    public int inFeatures() {
        return columns;
    }

    @Override
    public int outFeatures() {
        return rows;
    }

    @Override
    public void multiply(float[] x, int m, float[] out) {
        if (source.isReleased()) {
            throw new IllegalStateException("The float weight " + source + " was closed");
        }
        rowParallel.forRows(
                rows,
                16,
                (long) columns * m,
                (n0, n1) -> {
                    float[] row = ROW.get();
                    if (row.length < columns) {
                        row = new float[columns];
                        ROW.set(row);
                    }
                    for (int n = n0; n < n1; n++) {
                        weights.get(n * columns, row, 0, columns);
                        for (int i = 0; i < m; i++) {
                            out[i * rows + n] = math.dot(x, i * columns, row, 0, columns);
                        }
                    }
                });
    }
}
