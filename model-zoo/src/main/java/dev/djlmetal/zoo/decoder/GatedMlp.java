package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The SwiGLU feed-forward block: {@code down_proj(silu(gate_proj(x)) * up_proj(x))}.
 *
 * <p>Children (Hugging Face names): {@code gate_proj}, {@code up_proj}, {@code down_proj}, each a
 * {@link ai.djl.nn.core.Linear} that a quantizer may replace.
 */
public class GatedMlp extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int hiddenSize;
    private final int intermediateSize;

    private Block gateProj;
    private Block upProj;
    private Block downProj;

    /**
     * Creates the MLP of a model.
     *
     * @param config the model config
     */
    public GatedMlp(DecoderConfig config) {
        super(VERSION);
        hiddenSize = config.getHiddenSize();
        intermediateSize = config.getIntermediateSize();
        boolean bias = config.isMlpBias();
        gateProj = addChildBlock("gate_proj", Attention.linear(intermediateSize, bias));
        upProj = addChildBlock("up_proj", Attention.linear(intermediateSize, bias));
        downProj = addChildBlock("down_proj", Attention.linear(hiddenSize, bias));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.head());
        NDArray gate = gateProj.forward(ps, x, training).head();
        NDArray up = upProj.forward(ps, x, training).head();
        NDArray hidden = gate.mul(Activation.sigmoid(gate)).mul(up);
        return downProj.forward(ps, new NDList(hidden), training);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        gateProj.initialize(manager, dataType, in);
        upProj.initialize(manager, dataType, in);
        downProj.initialize(
                manager, dataType, in.slice(0, in.dimension() - 1).add(intermediateSize));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
