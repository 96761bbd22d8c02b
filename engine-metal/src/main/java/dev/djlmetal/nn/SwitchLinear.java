package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;

/**
 * The experts of a mixture-of-experts layer: {@code E} linear layers without bias, stacked in one
 * weight {@code [E, N, K]} (mlx-lm's {@code SwitchLinear}). Row {@code i} of the input goes through
 * the matrix of expert {@code ids[i]}: {@code y[i] = x[i] @ weight[ids[i]]^T}.
 *
 * <p>Input NDList: {@code [x [P, K], ids [P]]} (ids INT64 or INT32, each in {@code [0, E)}); output
 * {@code [P, N]}. Rows routed to the same expert are multiplied together, so a caller that sorts
 * its rows by expert runs one product per selected expert and never touches the others. {@code
 * MetalQuantizer} replaces this block by a {@link MetalQuantizedSwitchLinear}, which quantizes
 * every expert like a linear layer.
 */
public class SwitchLinear extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int experts;
    private final long outFeatures;
    private final long inFeatures;
    private final Parameter weight;

    /**
     * Creates the block.
     *
     * @param experts the number of experts E
     * @param outFeatures the output features N of each expert
     * @param inFeatures the input features K of each expert
     */
    public SwitchLinear(int experts, long outFeatures, long inFeatures) {
        super(VERSION);
        if (experts <= 0 || outFeatures <= 0 || inFeatures <= 0) {
            throw new IllegalArgumentException(
                    "SwitchLinear needs positive sizes, got experts="
                            + experts
                            + ", out="
                            + outFeatures
                            + ", in="
                            + inFeatures);
        }
        this.experts = experts;
        this.outFeatures = outFeatures;
        this.inFeatures = inFeatures;
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.WEIGHT)
                                .optInitializer(new NormalInitializer(0.02f))
                                .build());
    }

    /**
     * Returns the number of experts.
     *
     * @return E
     */
    public int getExpertCount() {
        return experts;
    }

    /**
     * Returns the input features of each expert.
     *
     * @return K
     */
    public long getInFeatures() {
        return inFeatures;
    }

    /**
     * Returns the output features of each expert.
     *
     * @return N
     */
    public long getOutFeatures() {
        return outFeatures;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray w = parameterStore.getValue(weight, x.getDevice(), training);
        NDArray y =
                ExpertRuns.apply(
                        "SwitchLinear",
                        inputs,
                        experts,
                        inFeatures,
                        outFeatures,
                        (expert, rows) -> Linear.linear(rows, w.get(expert)).head());
        return new NDList(y);
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Shape[] inputShapes) {
        weight.setShape(new Shape(experts, outFeatures, inFeatures));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), outFeatures)};
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "SwitchLinear(experts="
                + experts
                + ", in_features="
                + inFeatures
                + ", out_features="
                + outFeatures
                + ')';
    }
}
