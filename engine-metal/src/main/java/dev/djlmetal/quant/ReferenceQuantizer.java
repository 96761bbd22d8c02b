package dev.djlmetal.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.io.HalfPrecision;

/**
 * A plain-Java reference of affine group quantization: MLX's quantizer, dequantization and the
 * {@code x @ dequant(W)^T} product, written for clarity rather than speed.
 *
 * <p>Every backend and the NDArray quantizer ({@link AffineQuantizer}) are tested against this
 * class. All arithmetic is float32 with round-half-to-even ({@link Math#rint}), exactly as MLX's
 * CPU quantizer:
 *
 * <pre>
 * n_bins = 2^bits - 1
 * scale  = max((w_max - w_min) / n_bins, 1e-7)
 * side   = |w_min| &gt; |w_max|;  scale = side ? scale : -scale;  edge = side ? w_min : w_max
 * q0     = rint(edge / scale)
 * if q0 != 0: scale = edge / q0, bias = edge   else: bias = 0
 * q      = clip(rint((w - bias) / scale), 0, n_bins)
 * </pre>
 *
 * The codes use the float32 scale and bias; the stored scales and biases are rounded to the
 * weight's data type afterwards.
 */
public final class ReferenceQuantizer {

    /** The smallest magnitude of a scale, as in MLX. */
    static final float MIN_SCALE = 1e-7f;

    private ReferenceQuantizer() {}

    /**
     * Quantizes a float32 weight matrix, keeping float32 scales and biases.
     *
     * @param weight the weight {@code [rows, columns]}, row-major
     * @param rows the number of rows N (output features)
     * @param columns the number of columns K (input features), a multiple of the group size
     * @param bits the code width
     * @param groupSize the group size
     * @return the packed codes, scales and biases
     * @throws IllegalArgumentException on unsupported settings, size mismatches or non-finite
     *     weights
     */
    public static Result quantize(float[] weight, int rows, int columns, int bits, int groupSize) {
        return quantize(weight, rows, columns, bits, groupSize, DataType.FLOAT32);
    }

    /**
     * Quantizes a weight matrix whose values are given as floats, storing the scales and biases in
     * {@code scaleType}: use {@link DataType#FLOAT16} for a float16 weight (its values widened to
     * float).
     *
     * @param weight the weight {@code [rows, columns]}, row-major
     * @param rows the number of rows N (output features)
     * @param columns the number of columns K (input features), a multiple of the group size
     * @param bits the code width
     * @param groupSize the group size
     * @param scaleType {@link DataType#FLOAT32} or {@link DataType#FLOAT16}
     * @return the packed codes, scales and biases
     * @throws IllegalArgumentException on unsupported settings, size mismatches or non-finite
     *     weights
     */
    public static Result quantize(
            float[] weight, int rows, int columns, int bits, int groupSize, DataType scaleType) {
        QuantSpec spec = QuantSpec.of(bits, groupSize);
        checkMatrix(weight.length, rows, columns, spec);
        checkScaleType(scaleType);
        int groups = columns / groupSize;
        int nBins = (1 << bits) - 1;
        int[] codes = new int[weight.length];
        float[] scales = new float[rows * groups];
        float[] biases = new float[rows * groups];
        for (int g = 0; g < rows * groups; g++) {
            int start = g * groupSize;
            float min = weight[start];
            float max = weight[start];
            for (int i = start; i < start + groupSize; i++) {
                float w = weight[i];
                if (!Float.isFinite(w)) {
                    throw new IllegalArgumentException(
                            "Weight element "
                                    + i
                                    + " (row "
                                    + i / columns
                                    + ", column "
                                    + i % columns
                                    + ") is "
                                    + w
                                    + "; only finite weights can be quantized");
                }
                min = Math.min(min, w);
                max = Math.max(max, w);
            }
            float scale = Math.max((max - min) / nBins, MIN_SCALE);
            boolean minDominates = Math.abs(min) > Math.abs(max);
            scale = minDominates ? scale : -scale;
            float edge = minDominates ? min : max;
            float q0 = (float) Math.rint(edge / scale);
            float bias = 0f;
            if (q0 != 0f) {
                scale = edge / q0;
                bias = edge;
            }
            for (int i = start; i < start + groupSize; i++) {
                float q = (float) Math.rint((weight[i] - bias) / scale);
                codes[i] = (int) Math.min(Math.max(q, 0f), nBins);
            }
            scales[g] = toScaleType(scale, scaleType);
            biases[g] = toScaleType(bias, scaleType);
        }
        int[] packed = BitPacking.pack(codes, rows, columns, bits);
        return new Result(packed, scales, biases, rows, columns, spec, scaleType);
    }

    /**
     * Dequantizes packed codes: {@code w[n, k] = q[n, k] * scales[n, k / gs] + biases[n, k / gs]}
     * in float32 (one multiplication and one addition, each rounded).
     *
     * @param packed the packed codes, {@code rows * columns * bits / 32} words
     * @param scales the scales, {@code rows * columns / groupSize} values
     * @param biases the biases, same length as the scales
     * @param rows the number of rows N
     * @param columns the number of columns K
     * @param bits the code width
     * @param groupSize the group size
     * @return the dequantized weight {@code [rows, columns]}, row-major
     * @throws IllegalArgumentException on unsupported settings or size mismatches
     */
    public static float[] dequantize(
            int[] packed,
            float[] scales,
            float[] biases,
            int rows,
            int columns,
            int bits,
            int groupSize) {
        QuantSpec spec = QuantSpec.of(bits, groupSize);
        checkParts(packed, scales, biases, rows, columns, spec);
        int[] codes = BitPacking.unpack(packed, rows, columns, bits);
        float[] weight = new float[codes.length];
        for (int i = 0; i < codes.length; i++) {
            int g = i / groupSize;
            weight[i] = codes[i] * scales[g] + biases[g];
        }
        return weight;
    }

    /**
     * Computes {@code x @ dequant(W)^T}, the {@code nn.Linear} product, accumulating in double.
     *
     * @param x the input {@code [m, K]}, row-major
     * @param m the number of input rows
     * @param w the quantized weight {@code [N, K]}
     * @return the output {@code [m, N]}, row-major
     * @throws IllegalArgumentException when {@code x} does not hold {@code m * K} values
     */
    public static float[] matmulTransposed(float[] x, int m, Result w) {
        int k = w.columns();
        int n = w.rows();
        if (m < 0 || (long) m * k != x.length) {
            throw new IllegalArgumentException(
                    "Input holds " + x.length + " values, expected m * K = " + m + " * " + k);
        }
        float[] weight = w.dequantize();
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int c = 0; c < k; c++) {
                    sum += (double) x[i * k + c] * weight[j * k + c];
                }
                out[i * n + j] = (float) sum;
            }
        }
        return out;
    }

    /**
     * Copies a quantized tensor's arrays into Java memory.
     *
     * @param tensor the quantized tensor
     * @return the same packed codes, scales and biases as a reference result
     */
    public static Result fromTensor(QuantizedTensor tensor) {
        return Result.fromTensor(tensor);
    }

    private static float toScaleType(float value, DataType scaleType) {
        return scaleType == DataType.FLOAT16 ? HalfPrecision.roundToF16(value) : value;
    }

    private static void checkScaleType(DataType scaleType) {
        if (scaleType != DataType.FLOAT32 && scaleType != DataType.FLOAT16) {
            throw new IllegalArgumentException(
                    "Unsupported scale data type " + scaleType + "; allowed: float32, float16");
        }
    }

    private static void checkMatrix(int length, int rows, int columns, QuantSpec spec) {
        if (rows <= 0 || columns <= 0 || (long) rows * columns != length) {
            throw new IllegalArgumentException(
                    "Weight holds "
                            + length
                            + " values, expected rows * columns = "
                            + rows
                            + " * "
                            + columns
                            + " (both positive)");
        }
        if (columns % spec.getGroupSize() != 0) {
            throw new IllegalArgumentException(
                    "The number of columns K="
                            + columns
                            + " is not divisible by the group size "
                            + spec.getGroupSize());
        }
    }

    private static void checkParts(
            int[] packed, float[] scales, float[] biases, int rows, int columns, QuantSpec spec) {
        checkMatrix(rows * columns, rows, columns, spec);
        int words = BitPacking.wordsPerRow(columns, spec.getBits());
        int groups = columns / spec.getGroupSize();
        if (packed.length != rows * words) {
            throw new IllegalArgumentException(
                    "Packed codes hold "
                            + packed.length
                            + " words, expected "
                            + rows
                            + " rows * "
                            + words
                            + " words");
        }
        if (scales.length != rows * groups || biases.length != rows * groups) {
            throw new IllegalArgumentException(
                    "Scales and biases hold "
                            + scales.length
                            + " and "
                            + biases.length
                            + " values, expected "
                            + rows
                            + " rows * "
                            + groups
                            + " groups");
        }
    }

    /** Packed codes, scales and biases of one quantized matrix, held in Java arrays. */
    public static final class Result {

        private final int[] packed;
        private final float[] scales;
        private final float[] biases;
        private final int rows;
        private final int columns;
        private final QuantSpec spec;
        private final DataType scaleType;

        /**
         * Creates a result after checking that the array lengths agree.
         *
         * @param packed the packed codes, {@code rows * columns * bits / 32} words (uint32 bits)
         * @param scales the scales, {@code rows * columns / groupSize} values
         * @param biases the biases, same length as the scales
         * @param rows the number of rows N
         * @param columns the number of columns K
         * @param spec the bits and group size
         * @param scaleType the data type the scales and biases are stored in (float32 or float16)
         * @throws IllegalArgumentException when the lengths disagree
         */
        public Result(
                int[] packed,
                float[] scales,
                float[] biases,
                int rows,
                int columns,
                QuantSpec spec,
                DataType scaleType) {
            checkParts(packed, scales, biases, rows, columns, spec);
            checkScaleType(scaleType);
            this.packed = packed;
            this.scales = scales;
            this.biases = biases;
            this.rows = rows;
            this.columns = columns;
            this.spec = spec;
            this.scaleType = scaleType;
        }

        /**
         * Copies a quantized tensor's arrays into Java memory.
         *
         * @param tensor the quantized tensor (INT32 packed codes, float32 or float16 scales)
         * @return the same packed codes, scales and biases
         * @throws IllegalArgumentException when the scales are neither float32 nor float16
         */
        public static Result fromTensor(QuantizedTensor tensor) {
            tensor.requireMatrix("ReferenceQuantizer.Result.fromTensor");
            DataType scaleType = tensor.scales().getDataType();
            checkScaleType(scaleType);
            int[] packed = tensor.packed().toIntArray();
            float[] scales = toFloats(tensor.scales());
            float[] biases = toFloats(tensor.biases());
            return new Result(
                    packed,
                    scales,
                    biases,
                    Math.toIntExact(tensor.rows()),
                    Math.toIntExact(tensor.columns()),
                    tensor.spec(),
                    scaleType);
        }

        private static float[] toFloats(NDArray array) {
            if (array.getDataType() == DataType.FLOAT32) {
                return array.toFloatArray();
            }
            try (NDArray widened = array.toType(DataType.FLOAT32, true)) {
                return widened.toFloatArray();
            }
        }

        /**
         * Creates NDArrays holding this result.
         *
         * @param manager the manager that owns the new arrays
         * @param type the data type of the scales and biases (float32 or float16)
         * @return a quantized tensor with the same packed codes, scales and biases
         */
        public QuantizedTensor toTensor(NDManager manager, DataType type) {
            checkScaleType(type);
            int groups = columns / spec.getGroupSize();
            Shape groupShape = new Shape(rows, groups);
            NDArray packedArray = manager.create(packed, new Shape(rows, packed.length / rows));
            NDArray scaleArray = manager.create(scales, groupShape).toType(type, false);
            NDArray biasArray = manager.create(biases, groupShape).toType(type, false);
            return new QuantizedTensor(
                    packedArray, scaleArray, biasArray, spec.getBits(), spec.getGroupSize());
        }

        /**
         * Dequantizes this result in float32.
         *
         * @return the weight {@code [rows, columns]}, row-major
         */
        public float[] dequantize() {
            return ReferenceQuantizer.dequantize(
                    packed, scales, biases, rows, columns, spec.getBits(), spec.getGroupSize());
        }

        /**
         * Unpacks the codes.
         *
         * @return the codes {@code [rows, columns]}, row-major
         */
        public int[] codes() {
            return BitPacking.unpack(packed, rows, columns, spec.getBits());
        }

        /**
         * Returns the packed codes (not copied).
         *
         * @return {@code [rows, columns * bits / 32]} uint32 words as ints, row-major
         */
        public int[] packed() {
            return packed;
        }

        /**
         * Returns the scales (not copied).
         *
         * @return {@code [rows, columns / groupSize]}, row-major, values of {@link #scaleType()}
         */
        public float[] scales() {
            return scales;
        }

        /**
         * Returns the biases (not copied).
         *
         * @return {@code [rows, columns / groupSize]}, row-major, values of {@link #scaleType()}
         */
        public float[] biases() {
            return biases;
        }

        /**
         * Returns the number of rows N.
         *
         * @return N
         */
        public int rows() {
            return rows;
        }

        /**
         * Returns the number of columns K.
         *
         * @return K
         */
        public int columns() {
            return columns;
        }

        /**
         * Returns the code width.
         *
         * @return bits per code
         */
        public int bits() {
            return spec.getBits();
        }

        /**
         * Returns the group size.
         *
         * @return weights per scale/bias pair
         */
        public int groupSize() {
            return spec.getGroupSize();
        }

        /**
         * Returns the bits and group size together.
         *
         * @return the spec
         */
        public QuantSpec spec() {
            return spec;
        }

        /**
         * Returns the data type whose values the scales and biases hold.
         *
         * @return float32 or float16
         */
        public DataType scaleType() {
            return scaleType;
        }
    }
}
