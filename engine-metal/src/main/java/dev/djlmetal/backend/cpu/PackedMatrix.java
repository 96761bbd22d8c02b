package dev.djlmetal.backend.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.djlmetal.quant.QuantizedTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * A read-only view of one quantized weight {@code W[N, K]} as the kernels see it: the packed uint32
 * words as a direct byte buffer, scales and biases as float buffers.
 *
 * <p>On the PyTorch engine the buffers are direct buffers over the tensors' own memory ({@code
 * NDArray.toByteBuffer(true)} returns one for contiguous CPU tensors), so nothing is copied. Only
 * scales and biases that are not FLOAT32 are converted once (to FLOAT32 tensors owned by this
 * view); an engine that cannot expose tensor memory gets one off-heap copy. {@link #extraBytes()}
 * reports what was added.
 */
final class PackedMatrix implements AutoCloseable {

    private final QuantizedTensor source;
    private final ByteBuffer packed;
    private final IntBuffer packedWords;
    private final ByteBuffer biasBytes;
    private final FloatBuffer scales;
    private final FloatBuffer biases;
    private final int rows;
    private final int columns;
    private final int bits;
    private final int groupSize;
    private final int wordsPerRow;
    private final int groups;
    private final NDArray convertedScales;
    private final NDArray convertedBiases;
    private final long extraBytes;
    private volatile LaneLayout layout;

    PackedMatrix(QuantizedTensor weight) {
        this.source = weight;
        this.rows = checkedInt("rows", weight.rows(), weight);
        this.columns = checkedInt("columns", weight.columns(), weight);
        this.bits = weight.bits();
        this.groupSize = weight.groupSize();
        this.wordsPerRow = weight.spec().packedColumns(columns);
        this.groups = columns / groupSize;
        checkedInt("packed bytes", (long) rows * wordsPerRow * 4, weight);
        long extra = 0;
        ByteBuffer packedBytes = weight.packed().toByteBuffer(true);
        if (!packedBytes.isDirect()) {
            packedBytes = copyToDirect(packedBytes);
            extra += packedBytes.capacity();
        }
        this.packed = packedBytes.order(ByteOrder.nativeOrder());
        if (weight.scales().getDataType() == DataType.FLOAT32) {
            convertedScales = null;
            convertedBiases = null;
        } else {
            convertedScales = weight.scales().toType(DataType.FLOAT32, true);
            convertedBiases = weight.biases().toType(DataType.FLOAT32, true);
            // owned by this view, not by an NDScope that happens to be open on first use
            NDScope.unregister(convertedScales, convertedBiases);
            extra += (convertedScales.size() + convertedBiases.size()) * 4;
        }
        NDArray s = convertedScales == null ? weight.scales() : convertedScales;
        NDArray b = convertedBiases == null ? weight.biases() : convertedBiases;
        ByteBuffer scaleBytes = s.toByteBuffer(true);
        ByteBuffer biasBytes = b.toByteBuffer(true);
        if (!scaleBytes.isDirect()) {
            scaleBytes = copyToDirect(scaleBytes);
            biasBytes = copyToDirect(biasBytes);
            extra += scaleBytes.capacity() + biasBytes.capacity();
        }
        this.packedWords = packed.asIntBuffer();
        this.biasBytes = biasBytes.order(ByteOrder.nativeOrder());
        this.scales = scaleBytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
        this.biases = this.biasBytes.asFloatBuffer();
        this.extraBytes = extra;
    }

    /**
     * Wraps packed words, scales and biases held in Java memory (no NDArray behind them), for
     * kernels checked without an engine.
     *
     * @param packed {@code rows * wordsPerRow} words, row-major
     * @param scales {@code rows * columns / groupSize} FLOAT32 scales
     * @param biases as many FLOAT32 biases
     * @param rows N
     * @param columns K
     * @param bits the code width
     * @param groupSize the group size
     */
    PackedMatrix(
            int[] packed,
            float[] scales,
            float[] biases,
            int rows,
            int columns,
            int bits,
            int groupSize) {
        this.source = null;
        this.rows = rows;
        this.columns = columns;
        this.bits = bits;
        this.groupSize = groupSize;
        this.wordsPerRow = columns * bits / 32;
        this.groups = columns / groupSize;
        this.packed = ByteBuffer.allocateDirect(packed.length * 4).order(ByteOrder.nativeOrder());
        this.packed.asIntBuffer().put(packed);
        this.packedWords = this.packed.asIntBuffer();
        ByteBuffer scaleBytes =
                ByteBuffer.allocateDirect(scales.length * 4).order(ByteOrder.nativeOrder());
        scaleBytes.asFloatBuffer().put(scales);
        this.biasBytes =
                ByteBuffer.allocateDirect(biases.length * 4).order(ByteOrder.nativeOrder());
        this.biasBytes.asFloatBuffer().put(biases);
        this.scales = scaleBytes.asFloatBuffer();
        this.biases = biasBytes.asFloatBuffer();
        this.convertedScales = null;
        this.convertedBiases = null;
        this.extraBytes = 0;
    }

    private static int checkedInt(String what, long value, QuantizedTensor weight) {
        if (value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "The cpu backend handles at most "
                            + Integer.MAX_VALUE
                            + " "
                            + what
                            + " per weight; "
                            + weight
                            + " has "
                            + value);
        }
        return (int) value;
    }

    private static ByteBuffer copyToDirect(ByteBuffer heap) {
        ByteBuffer direct = ByteBuffer.allocateDirect(heap.remaining()).order(heap.order());
        direct.put(heap.duplicate()).flip();
        return direct;
    }

    /** Throws when the quantized tensor this view reads was closed (its memory is gone). */
    void checkOpen() {
        if (source == null) {
            return;
        }
        if (source.packed().isReleased()
                || source.scales().isReleased()
                || source.biases().isReleased()
                || (convertedScales != null
                        && (convertedScales.isReleased() || convertedBiases.isReleased()))) {
            throw new IllegalStateException(
                    "The quantized tensor "
                            + source
                            + " was closed before its cpu prepared weight");
        }
    }

    ByteBuffer packed() {
        return packed;
    }

    /** Returns the FLOAT32 biases, row-major {@code [N, groups]}, as native-order bytes. */
    ByteBuffer biasBytes() {
        return biasBytes;
    }

    /** Returns the byte offset of a row's first scale (and first bias). */
    int groupByteOffset(int row) {
        return row * groups * 4;
    }

    /** Copies the {@link #wordsPerRow()} packed words of a row to {@code dst}. */
    void copyRowWords(int row, int[] dst) {
        copyRowWords(row, dst, 0);
    }

    /** Copies the packed words of a row to {@code dst} from {@code offset}. */
    void copyRowWords(int row, int[] dst, int offset) {
        packedWords.get(row * wordsPerRow, dst, offset, wordsPerRow);
    }

    /** Copies the {@code wordsPerRow() * 4} packed bytes of a row to {@code dst}. */
    void copyRowBytes(int row, byte[] dst) {
        copyRowBytes(row, dst, 0);
    }

    /** Copies the packed bytes of a row to {@code dst} from {@code offset}. */
    void copyRowBytes(int row, byte[] dst, int offset) {
        packed.get(rowByteOffset(row), dst, offset, wordsPerRow * 4);
    }

    /** Copies the {@link #groups()} biases of a row to {@code dst}. */
    void copyBiases(int row, float[] dst) {
        copyBiases(row, dst, 0);
    }

    /** Copies the biases of a row to {@code dst} from {@code offset}. */
    void copyBiases(int row, float[] dst, int offset) {
        biases.get(row * groups, dst, offset, groups);
    }

    /** Copies the {@link #groups()} scales of a row to {@code dst}. */
    void copyScales(int row, float[] dst) {
        copyScales(row, dst, 0);
    }

    /** Copies the scales of a row to {@code dst} from {@code offset}. */
    void copyScales(int row, float[] dst, int offset) {
        scales.get(row * groups, dst, offset, groups);
    }

    float scale(int row, int group) {
        return scales.get(row * groups + group);
    }

    float bias(int row, int group) {
        return biases.get(row * groups + group);
    }

    int rows() {
        return rows;
    }

    int columns() {
        return columns;
    }

    int bits() {
        return bits;
    }

    int groupSize() {
        return groupSize;
    }

    int groups() {
        return groups;
    }

    int wordsPerRow() {
        return wordsPerRow;
    }

    int wordsPerGroup() {
        return groupSize * bits / 32;
    }

    /**
     * Returns the vector kernel's layout of this weight for vectors of {@code lanes} lanes,
     * computed once (the lane count is fixed per JVM).
     */
    LaneLayout layout(int lanes) {
        LaneLayout known = layout;
        if (known == null || known.lanes() != lanes) {
            known = LaneLayout.of(bits, lanes, columns, groupSize);
            layout = known;
        }
        return known;
    }

    /** Returns the byte offset of the first packed word of a row. */
    int rowByteOffset(int row) {
        return row * wordsPerRow * 4;
    }

    long extraBytes() {
        return extraBytes;
    }

    QuantizedTensor source() {
        return source;
    }

    @Override
    public void close() {
        if (convertedScales != null) {
            convertedScales.close();
            convertedBiases.close();
        }
    }
}
