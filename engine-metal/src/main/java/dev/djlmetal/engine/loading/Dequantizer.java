package dev.djlmetal.engine.loading;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.QuantizedTensor;

/**
 * Turns a pre-quantized weight back into a float matrix or expert stack ({@code q * scale + bias}
 * per group), for {@code dequantize=true} and float checkpoints.
 */
final class Dequantizer {

    private Dequantizer() {}

    static NDArray dequantize(NDManager manager, QuantizedTensor weight) {
        Shape logical = weight.logicalShape();
        int columns = Math.toIntExact(weight.columns());
        // a stack of expert matrices [E, N, K] is E * N rows of the same layout
        int rows = Math.toIntExact(logical.size() / columns);
        int bits = weight.bits();
        int groupSize = weight.groupSize();
        int[] packed = weight.packed().toIntArray();
        float[] scales = weight.scales().toType(DataType.FLOAT32, false).toFloatArray();
        float[] biases = weight.biases().toType(DataType.FLOAT32, false).toFloatArray();
        int wordsPerRow = columns * bits / 32;
        int groups = columns / groupSize;
        long mask = (1L << bits) - 1;
        float[] out = new float[rows * columns];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < columns; k++) {
                long bit = (long) k * bits;
                int word = r * wordsPerRow + (int) (bit >>> 5);
                int shift = (int) (bit & 31);
                long value = (packed[word] & 0xFFFFFFFFL) >>> shift;
                if (shift + bits > 32) {
                    value |= (packed[word + 1] & 0xFFFFFFFFL) << (32 - shift);
                }
                int g = r * groups + k / groupSize;
                out[r * columns + k] = (value & mask) * scales[g] + biases[g];
            }
        }
        return manager.create(out, logical);
    }
}
