package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Root-mean-square layer normalization: {@code y = x / sqrt(mean(x^2) + eps) * weight} over the
 * last axis, computed in float32 whatever the input data type. Gemma's variant multiplies by {@code
 * 1 + weight} instead (its checkpoints store the offset from one), in float32 before the cast back.
 *
 * <p>Its single parameter is {@code weight} ({@code [size]}).
 */
public class RmsNorm extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Parameter weight;
    private final float eps;
    private final int size;
    private final boolean offset;

    /**
     * Creates the norm.
     *
     * @param size the width of the normalized (last) axis
     * @param eps the epsilon added to the mean square
     */
    public RmsNorm(int size, double eps) {
        this(size, eps, false);
    }

    /**
     * Creates the norm, multiplying by {@code weight} or by {@code 1 + weight}.
     *
     * @param size the width of the normalized (last) axis
     * @param eps the epsilon added to the mean square
     * @param offset true to multiply by {@code 1 + weight} (Gemma)
     */
    public RmsNorm(int size, double eps, boolean offset) {
        super(VERSION);
        this.eps = (float) eps;
        this.size = size;
        this.offset = offset;
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.GAMMA)
                                .build());
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.head();
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        return new NDList(normalize(x, w, eps, offset));
    }

    static NDArray normalize(NDArray x, NDArray weight, float eps, boolean offset) {
        DataType type = x.getDataType();
        NDArray xf = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray rms = xf.square().mean(new int[] {-1}, true).add(eps).sqrt();
        NDArray normed = xf.div(rms);
        if (offset) {
            normed = normed.mul(weight.toType(DataType.FLOAT32, false).add(1f));
            return type == DataType.FLOAT32 ? normed : normed.toType(type, false);
        }
        if (type != DataType.FLOAT32) {
            normed = normed.toType(type, false);
        }
        return normed.mul(weight);
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Shape[] inputShapes) {
        weight.setShape(new Shape(size));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
