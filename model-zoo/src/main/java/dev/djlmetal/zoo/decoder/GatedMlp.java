package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The gated feed-forward block: {@code down_proj(act(gate_proj(x)) * up_proj(x))}, with SiLU
 * (SwiGLU: Llama, Mistral, Qwen, Phi-3) or tanh-GELU (GeGLU: Gemma) as {@code act}.
 *
 * <p>Children (Hugging Face names): {@code gate_proj}, {@code up_proj}, {@code down_proj}; or, when
 * fused (Phi-3), {@code gate_up_proj} (gate rows first, then up rows) and {@code down_proj}. Each
 * is an {@link Linear} that a quantizer may replace; a fused projection stays one quantized matrix,
 * split after the product.
 */
public class GatedMlp extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int hiddenSize;
    private final int intermediateSize;
    private final MlpActivation activation;

    private Block gateProj;
    private Block upProj;
    private Block gateUpProj;
    private Block downProj;

    /**
     * Creates the dense MLP of a model.
     *
     * @param config the model config
     */
    public GatedMlp(DecoderConfig config) {
        this(
                config.getHiddenSize(),
                config.getIntermediateSize(),
                config.isMlpBias(),
                config.getActivation(),
                config.isFusedGateUp());
    }

    /**
     * Creates a gated MLP.
     *
     * @param hiddenSize the input and output width
     * @param intermediateSize the inner width
     * @param bias whether the projections have additive biases
     * @param activation the activation of the gate
     * @param fused whether gate and up are one {@code gate_up_proj}
     */
    public GatedMlp(
            int hiddenSize,
            int intermediateSize,
            boolean bias,
            MlpActivation activation,
            boolean fused) {
        super(VERSION);
        this.hiddenSize = hiddenSize;
        this.intermediateSize = intermediateSize;
        this.activation = activation;
        if (fused) {
            gateUpProj = addChildBlock("gate_up_proj", linear(2L * intermediateSize, bias));
        } else {
            gateProj = addChildBlock("gate_proj", linear(intermediateSize, bias));
            upProj = addChildBlock("up_proj", linear(intermediateSize, bias));
        }
        downProj = addChildBlock("down_proj", linear(hiddenSize, bias));
    }

    static Linear linear(long units, boolean bias) {
        return Linear.builder().setUnits(units).optBias(bias).build();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = new NDList(inputs.head());
        NDArray gate;
        NDArray up;
        if (gateUpProj != null) {
            NDArray fused = gateUpProj.forward(ps, x, training).head();
            NDList halves = fused.split(2, fused.getShape().dimension() - 1);
            gate = halves.get(0);
            up = halves.get(1);
        } else {
            gate = gateProj.forward(ps, x, training).head();
            up = upProj.forward(ps, x, training).head();
        }
        NDArray hidden = activation.apply(gate).mul(up);
        return downProj.forward(ps, new NDList(hidden), training);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = inputShapes[0];
        if (gateUpProj != null) {
            gateUpProj.initialize(manager, dataType, in);
        } else {
            gateProj.initialize(manager, dataType, in);
            upProj.initialize(manager, dataType, in);
        }
        downProj.initialize(
                manager, dataType, in.slice(0, in.dimension() - 1).add(intermediateSize));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(hiddenSize)};
    }
}
