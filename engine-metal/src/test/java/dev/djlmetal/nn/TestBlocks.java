package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import java.util.Random;

/** Builders of float blocks and inputs shared by the block and quantizer tests. */
public final class TestBlocks {

    private TestBlocks() {}

    /**
     * Creates a FLOAT32 array of standard normal values.
     *
     * @param manager the manager
     * @param shape the shape
     * @param seed the random seed
     * @return the array
     */
    public static NDArray randomArray(NDManager manager, Shape shape, long seed) {
        Random random = new Random(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, shape);
    }

    /**
     * Creates a DJL float {@link Linear} holding the given weight and bias.
     *
     * @param weight {@code [N, K]}
     * @param bias {@code [N]} or null
     * @return the block, its parameters set
     */
    public static Linear floatLinear(NDArray weight, NDArray bias) {
        Linear linear =
                Linear.builder().setUnits(weight.getShape().get(0)).optBias(bias != null).build();
        linear.getParameters().get("weight").setArray(weight);
        if (bias != null) {
            linear.getParameters().get("bias").setArray(bias);
        }
        return linear;
    }

    /**
     * Creates a float {@link Linear} with random weight {@code [n, k]} and random bias.
     *
     * @param manager the manager
     * @param n out features
     * @param k in features
     * @param seed the random seed
     * @return the block
     */
    public static Linear randomLinear(NDManager manager, int n, int k, long seed) {
        return floatLinear(
                randomArray(manager, new Shape(n, k), seed).div(Math.sqrt(k)),
                randomArray(manager, new Shape(n), seed + 1));
    }

    /**
     * Runs an inference forward pass.
     *
     * @param block the block
     * @param manager the manager of the parameter store
     * @param x the single input
     * @return the single output
     */
    public static NDArray forward(Block block, NDManager manager, NDArray x) {
        return block.forward(new ParameterStore(manager, false), new NDList(x), false)
                .singletonOrThrow();
    }
}
