package dev.djlmetal.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.QuantSpec;
import dev.djlmetal.quant.QuantizedTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Seeded random weights for the benchmarks, generated directly in packed form: uniformly random
 * uint32 words are a valid packing of uniformly random codes, so no float matrix is ever
 * materialized for the quantized cases (the 128256x2048 float32 lm_head alone is 1 GB).
 */
public final class BenchWeights {

    private BenchWeights() {}

    /**
     * Creates a random quantized weight whose packed words live in a direct buffer wrapped by the
     * NDArray.
     *
     * @param manager the manager that owns the arrays
     * @param shape the weight shape
     * @param bits the code width
     * @param groupSize the group size
     * @param seed the random seed
     * @return the quantized tensor
     */
    public static QuantizedTensor quantized(
            NDManager manager, LinearShape shape, int bits, int groupSize, long seed) {
        QuantSpec spec = QuantSpec.of(bits, groupSize);
        int n = shape.getOutFeatures();
        int k = shape.getInFeatures();
        int words = spec.packedColumns(k);
        int groups = k / groupSize;
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer packed = direct((long) n * words * 4);
        for (int i = 0; i < n * words; i++) {
            packed.putInt(i * 4, random.nextInt());
        }
        ByteBuffer scales = direct((long) n * groups * 4);
        ByteBuffer biases = direct((long) n * groups * 4);
        float step = 0.02f / (1 << bits);
        for (int i = 0; i < n * groups; i++) {
            scales.putFloat(i * 4, step * (0.5f + (float) random.nextDouble()));
            biases.putFloat(i * 4, -0.01f * (float) random.nextDouble());
        }
        NDArray p = manager.create(packed, new Shape(n, words), DataType.INT32);
        NDArray s = manager.create(scales, new Shape(n, groups), DataType.FLOAT32);
        NDArray b = manager.create(biases, new Shape(n, groups), DataType.FLOAT32);
        return new QuantizedTensor(p, s, b, bits, groupSize);
    }

    /**
     * Creates a random float32 weight {@code [N, K]} (PyTorch's generator, seeded by the engine).
     *
     * @param manager the manager that owns the array
     * @param shape the weight shape
     * @return the weight
     */
    public static NDArray float32(NDManager manager, LinearShape shape) {
        return manager.randomNormal(
                0f,
                0.02f,
                new Shape(shape.getOutFeatures(), shape.getInFeatures()),
                DataType.FLOAT32);
    }

    /**
     * Creates random activations {@code [M, K]}.
     *
     * @param manager the manager that owns the array
     * @param rows M
     * @param shape the weight shape (for K)
     * @return the activations
     */
    public static NDArray activations(NDManager manager, int rows, LinearShape shape) {
        return manager.randomNormal(new Shape(rows, shape.getInFeatures()));
    }

    private static ByteBuffer direct(long bytes) {
        return ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.nativeOrder());
    }
}
