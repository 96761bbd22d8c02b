package dev.djlmetal.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Affine group quantization with DJL NDArray operations only, so it runs on any DJL device and
 * engine.
 *
 * <p>{@link #quantize} is MLX's quantizer (see {@link ReferenceQuantizer} for the algorithm) and
 * gives the same packed words, scales and biases bit for bit. {@link #dequantize} and {@link
 * #unpackCodes} are its inverses; they serve the portable NDArray backend and quantized embeddings.
 *
 * <p>NDArray offers no bitwise, shift or integer-division operations, and DJL cannot hold unsigned
 * 32-bit arrays. Packed words are therefore read through exact arithmetic: cut into pieces by int32
 * remainders modulo powers of two ({@code diff} of cumulative remainders), then scaled by powers of
 * two in float32, where every intermediate value is an integer below {@code 2^24} or such an
 * integer times a power of two (see {@link PieceLayout}). Codes that straddle two words (3, 5 and 6
 * bits) are rebuilt from byte or nibble pieces. Packing sums pieces in int64 and wraps the words
 * into the int32 range explicitly, so no narrowing cast has to wrap around.
 *
 * <p>Intermediate arrays live in a temporary sub-manager; results belong to the input's manager.
 */
public final class AffineQuantizer {

    private static final long TWO_POW_31 = 1L << 31;
    private static final long TWO_POW_32 = 1L << 32;
    private static final float FLOAT_TWO_POW_32 = 0x1p32f;

    private AffineQuantizer() {}

    /**
     * Quantizes a weight matrix with MLX's affine algorithm (float32 arithmetic, round half to
     * even).
     *
     * @param weight the weight {@code [N, K]}, float32 or float16
     * @param bits the code width, one of {@link QuantSpec#SUPPORTED_BITS}
     * @param groupSize the group size, one of {@link QuantSpec#SUPPORTED_GROUP_SIZES}; must divide
     *     K
     * @return packed codes {@code [N, K * bits / 32]} (INT32 holding uint32 bits), scales and
     *     biases {@code [N, K / groupSize]} in the weight's data type, attached to the weight's
     *     manager
     * @throws IllegalArgumentException on an unsupported setting, a weight that is not a 2-D
     *     float32 or float16 matrix, K not divisible by the group size, or non-finite weights
     */
    public static QuantizedTensor quantize(NDArray weight, int bits, int groupSize) {
        QuantSpec spec = QuantSpec.of(bits, groupSize);
        DataType dataType = weight.getDataType();
        Shape shape = weight.getShape();
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT16) {
            throw new IllegalArgumentException(
                    "Cannot quantize a weight of data type "
                            + dataType
                            + "; allowed: float32, float16");
        }
        if (shape.dimension() != 2 || shape.get(0) <= 0 || shape.get(1) <= 0) {
            throw new IllegalArgumentException(
                    "Cannot quantize a weight of shape "
                            + shape
                            + "; expected a non-empty 2-D matrix [N, K]");
        }
        long rows = shape.get(0);
        long columns = shape.get(1);
        if (!spec.isEligible(columns)) {
            throw new IllegalArgumentException(
                    "Cannot quantize a weight of shape "
                            + shape
                            + ": K="
                            + columns
                            + " is not divisible by the group size "
                            + groupSize);
        }
        long groups = columns / groupSize;
        int nBins = (1 << bits) - 1;
        NDManager parent = weight.getManager();
        try (NDManager scope = parent.newSubManager()) {
            NDArray w;
            if (dataType == DataType.FLOAT32) {
                w = scoped(weight.reshape(rows, groups, groupSize), scope);
            } else {
                w = scoped(weight.toType(DataType.FLOAT32, false), scope);
                w = w.reshape(rows, groups, groupSize);
            }
            NDArray max = w.max(new int[] {2}, true);
            NDArray min = w.min(new int[] {2}, true);
            checkFinite(max, min);
            NDArray scale = max.sub(min).div((float) nBins).maximum(ReferenceQuantizer.MIN_SCALE);
            NDArray minDominates = min.abs().gt(max.abs());
            scale = NDArrays.where(minDominates, scale, scale.neg());
            NDArray edge = NDArrays.where(minDominates, min, max);
            NDArray q0 = edge.div(scale).round();
            NDArray nonZero = q0.neq(0f);
            scale = NDArrays.where(nonZero, edge.div(q0), scale);
            NDArray bias = NDArrays.where(nonZero, edge, edge.zerosLike());
            NDArray codes = w.sub(bias).divi(scale).round().clip(0, nBins);
            NDArray packed = pack(codes.reshape(rows, columns), PieceLayout.of(bits));
            NDArray scales = scale.reshape(rows, groups).toType(dataType, false);
            NDArray biases = bias.reshape(rows, groups).toType(dataType, false);
            packed.attach(parent);
            scales.attach(parent);
            biases.attach(parent);
            return new QuantizedTensor(packed, scales, biases, bits, groupSize);
        }
    }

    /**
     * Dequantizes: {@code w[n, k] = q[n, k] * scales[n, k / gs] + biases[n, k / gs]}, computed in
     * float32.
     *
     * @param tensor the quantized weight
     * @return the weight {@code [N, K]} in the scales' data type, attached to the packed codes'
     *     manager
     */
    public static NDArray dequantize(QuantizedTensor tensor) {
        tensor.requireMatrix("AffineQuantizer.dequantize");
        long rows = tensor.rows();
        long columns = tensor.columns();
        long groups = columns / tensor.groupSize();
        DataType dataType = tensor.scales().getDataType();
        NDManager parent = tensor.packed().getManager();
        try (NDManager scope = parent.newSubManager()) {
            NDArray codes = unpackToFloat(tensor.packed(), tensor.bits(), columns, scope);
            Shape groupShape = new Shape(rows, groups, 1);
            NDArray scales = scoped(tensor.scales().reshape(groupShape), scope);
            NDArray biases = scoped(tensor.biases().reshape(groupShape), scope);
            if (dataType != DataType.FLOAT32) {
                scales = scales.toType(DataType.FLOAT32, false);
                biases = biases.toType(DataType.FLOAT32, false);
            }
            NDArray weight =
                    codes.reshape(rows, groups, tensor.groupSize()).muli(scales).addi(biases);
            weight = weight.reshape(rows, columns).toType(dataType, false);
            weight.attach(parent);
            return weight;
        }
    }

    /**
     * Unpacks codes from packed uint32 words.
     *
     * @param packed the packed codes, INT32 {@code [N, columns * bits / 32]}
     * @param bits the code width, one of {@link QuantSpec#SUPPORTED_BITS}
     * @param columns the number of codes per row K
     * @return the codes, INT32 {@code [N, columns]} with values in {@code [0, 2^bits)}, attached to
     *     {@code packed}'s manager
     * @throws IllegalArgumentException when the shapes disagree or the row length is not supported
     */
    public static NDArray unpackCodes(NDArray packed, int bits, long columns) {
        NDManager parent = packed.getManager();
        try (NDManager scope = parent.newSubManager()) {
            NDArray codes =
                    unpackToFloat(packed, bits, columns, scope).toType(DataType.INT32, false);
            codes.attach(parent);
            return codes;
        }
    }

    /**
     * Unpacks codes as exact float32 integers into {@code scope}.
     *
     * <p>Steps: the remainders of each word modulo {@code 2^(p * i)} (int32, below the top piece)
     * followed by the word itself are cumulative, so their differences are the pieces times {@code
     * 2^(p * i)}; the top difference is signed (the word is), and a float32 remainder modulo {@code
     * 2^32} makes it unsigned. In float32, each piece is scaled to its weight within a unit and the
     * pieces of a unit are summed; units split into codes with a floor and a remainder. For 2, 4
     * and 8 bits a piece is a code, so the last two steps vanish.
     */
    private static NDArray unpackToFloat(NDArray packed, int bits, long columns, NDManager scope) {
        PieceLayout layout = PieceLayout.of(bits);
        long rows = checkPacked(packed, layout, columns);
        long words = packed.getShape().get(1);
        NDArray word = scoped(packed.reshape(rows, words, 1), scope);
        NDArray moduli = scope.create(layout.cumulativeModuli());
        NDArray cumulative = word.mod(moduli).concat(word, 2);
        NDArray pieces = cumulative.diff(1, 2).toType(DataType.FLOAT32, false);
        pieces.get(new NDIndex("..., -1")).modi(FLOAT_TWO_POW_32);
        NDArray factors = scope.create(layout.wordToUnitFactors());
        NDArray scaled =
                pieces.reshape(rows, words / layout.wordsPerPeriod(), layout.piecesPerPeriod())
                        .muli(factors);
        if (layout.piecesPerUnit() == 1) {
            return scaled.reshape(rows, columns);
        }
        long units = columns / layout.codesPerUnit();
        NDArray unitValues =
                scaled.reshape(rows, units, layout.piecesPerUnit()).sum(new int[] {2}, true);
        NDArray shifts = scope.create(layout.unitToCodeShifts());
        NDArray codes = unitValues.mul(shifts).floor().modi(1 << bits);
        return codes.reshape(rows, columns);
    }

    /**
     * Packs exact float32 codes {@code [N, K]} into INT32 words {@code [N, K * bits / 32]}, in the
     * codes' manager: the inverse of {@link #unpackToFloat}.
     */
    private static NDArray pack(NDArray codes, PieceLayout layout) {
        NDManager manager = codes.getManager();
        long rows = codes.getShape().get(0);
        long columns = codes.getShape().get(1);
        long words = columns * layout.bits() / 32;
        NDArray pieces = codes;
        if (layout.piecesPerUnit() > 1) {
            NDArray codeWeights = manager.create(layout.codeWeightsInUnit());
            NDArray units =
                    codes.reshape(rows, columns / layout.codesPerUnit(), layout.codesPerUnit())
                            .mul(codeWeights)
                            .sum(new int[] {2}, true);
            NDArray shifts = manager.create(layout.unitToPieceShifts());
            pieces = units.mul(shifts).floor().modi(1 << layout.pieceBits());
        }
        NDArray pieceWeights = manager.create(layout.pieceWeightsInWord());
        NDArray unsigned =
                pieces.reshape(rows, words, layout.piecesPerWord())
                        .toType(DataType.INT64, false)
                        .mul(pieceWeights)
                        .sum(new int[] {2});
        NDArray signed = unsigned.add(TWO_POW_31).mod(TWO_POW_32).sub(TWO_POW_31);
        return signed.toType(DataType.INT32, false);
    }

    private static long checkPacked(NDArray packed, PieceLayout layout, long columns) {
        Shape shape = packed.getShape();
        if (packed.getDataType() != DataType.INT32 || shape.dimension() != 2) {
            throw new IllegalArgumentException(
                    "Packed codes must be a 2-D INT32 array, got "
                            + packed.getDataType()
                            + " "
                            + shape);
        }
        int bits = layout.bits();
        if (columns <= 0 || columns % layout.codesPerPeriod() != 0) {
            throw new IllegalArgumentException(
                    "Cannot unpack "
                            + columns
                            + " codes per row at "
                            + bits
                            + " bits; the number of columns must be a positive multiple of "
                            + layout.codesPerPeriod());
        }
        if (shape.get(1) * 32 != columns * bits) {
            throw new IllegalArgumentException(
                    "Packed codes "
                            + shape
                            + " hold "
                            + shape.get(1) * 32 / bits
                            + " codes per row at "
                            + bits
                            + " bits, expected "
                            + columns);
        }
        return shape.get(0);
    }

    private static void checkFinite(NDArray max, NDArray min) {
        float largest = max.max().getFloat();
        float smallest = min.min().getFloat();
        if (!Float.isFinite(largest) || !Float.isFinite(smallest)) {
            throw new IllegalArgumentException(
                    "Cannot quantize a weight holding NaN or infinite values (range ["
                            + smallest
                            + ", "
                            + largest
                            + "]); only finite weights can be quantized");
        }
    }

    /** Moves a freshly derived array into the temporary scope so that it is freed with it. */
    private static NDArray scoped(NDArray array, NDManager scope) {
        array.attach(scope);
        return array;
    }
}
