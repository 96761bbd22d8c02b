package dev.djlmetal.backend.metal;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.djlmetal.quant.QuantizedTensor;

/**
 * A test-local min/max affine quantizer and bit packer (placeholder until the shared reference
 * lands).
 */
final class TestQuantizer {

    private TestQuantizer() {}

    static Result quantize(float[] w, int n, int k, int bits, int groupSize) {
        int groups = k / groupSize;
        int maxCode = (1 << bits) - 1;
        float[] scales = new float[n * groups];
        float[] biases = new float[n * groups];
        int[] codes = new int[n * k];
        for (int row = 0; row < n; row++) {
            for (int g = 0; g < groups; g++) {
                float min = Float.POSITIVE_INFINITY;
                float max = Float.NEGATIVE_INFINITY;
                for (int i = 0; i < groupSize; i++) {
                    float v = w[row * k + g * groupSize + i];
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
                float scale = Math.max((max - min) / maxCode, 1e-7f);
                scales[row * groups + g] = scale;
                biases[row * groups + g] = min;
                for (int i = 0; i < groupSize; i++) {
                    int idx = row * k + g * groupSize + i;
                    codes[idx] = Math.min(maxCode, Math.max(0, Math.round((w[idx] - min) / scale)));
                }
            }
        }
        int words = k * bits / 32;
        int[] packed = new int[n * words];
        for (int row = 0; row < n; row++) {
            for (int i = 0; i < k; i++) {
                long bit = (long) i * bits;
                long code = codes[row * k + i];
                int word = (int) (bit >>> 5);
                int shift = (int) (bit & 31);
                packed[row * words + word] |= (int) (code << shift);
                if (shift + bits > 32) {
                    packed[row * words + word + 1] |= (int) (code >>> (32 - shift));
                }
            }
        }
        return new Result(n, k, bits, groupSize, codes, packed, scales, biases);
    }

    static final class Result {
        final int n;
        final int k;
        final int bits;
        final int groupSize;
        final int[] codes;
        final int[] packed;
        final float[] scales;
        final float[] biases;

        Result(
                int n,
                int k,
                int bits,
                int groupSize,
                int[] codes,
                int[] packed,
                float[] scales,
                float[] biases) {
            this.n = n;
            this.k = k;
            this.bits = bits;
            this.groupSize = groupSize;
            this.codes = codes;
            this.packed = packed;
            this.scales = scales;
            this.biases = biases;
        }

        float[] dequantize() {
            float[] out = new float[n * k];
            int groups = k / groupSize;
            for (int row = 0; row < n; row++) {
                for (int i = 0; i < k; i++) {
                    int g = row * groups + i / groupSize;
                    out[row * k + i] = codes[row * k + i] * scales[g] + biases[g];
                }
            }
            return out;
        }

        QuantizedTensor toTensor(NDManager manager, DataType dtype) {
            int groups = k / groupSize;
            return new QuantizedTensor(
                    manager.create(packed, new Shape(n, k * bits / 32)),
                    manager.create(scales, new Shape(n, groups)).toType(dtype, false),
                    manager.create(biases, new Shape(n, groups)).toType(dtype, false),
                    bits,
                    groupSize);
        }
    }
}
