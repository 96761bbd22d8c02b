package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.djlmetal.nn.SwitchLinear;

/**
 * The gated MLPs of all experts of a mixture-of-experts layer (mlx-lm's {@code SwitchGLU}): row
 * {@code i} goes through expert {@code ids[i]}, {@code down(act(gate(x)) * up(x))}.
 *
 * <p>Children: {@code gate_proj}, {@code up_proj} ({@code [E, I, H]}) and {@code down_proj} ({@code
 * [E, H, I]}), each a {@link SwitchLinear} that a quantizer may replace by its quantized
 * counterpart. Input NDList: {@code [x [P, H], ids [P]]}, rows sorted by expert so that each
 * projection runs one product per selected expert; output {@code [P, H]}.
 */
public class SwitchGlu extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int hiddenSize;
    private final MlpActivation activation;

    private Block gateProj;
    private Block upProj;
    private Block downProj;

    /**
     * Creates the experts.
     *
     * @param experts the number of experts
     * @param hiddenSize the input and output width
     * @param intermediateSize the inner width of each expert
     * @param activation the activation of the gate
     */
    public SwitchGlu(int experts, int hiddenSize, int intermediateSize, MlpActivation activation) {
        super(VERSION);
        this.hiddenSize = hiddenSize;
        this.activation = activation;
        gateProj =
                addChildBlock("gate_proj", new SwitchLinear(experts, intermediateSize, hiddenSize));
        upProj = addChildBlock("up_proj", new SwitchLinear(experts, intermediateSize, hiddenSize));
        downProj =
                addChildBlock("down_proj", new SwitchLinear(experts, hiddenSize, intermediateSize));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray ids = inputs.get(1);
        NDArray gate = gateProj.forward(ps, new NDList(x, ids), training).head();
        NDArray up = upProj.forward(ps, new NDList(x, ids), training).head();
        NDArray hidden = activation.apply(gate).mul(up);
        return downProj.forward(ps, new NDList(hidden, ids), training);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        gateProj.initialize(manager, dataType, inputShapes);
        upProj.initialize(manager, dataType, inputShapes);
        downProj.initialize(manager, dataType, inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), hiddenSize)};
    }
}
