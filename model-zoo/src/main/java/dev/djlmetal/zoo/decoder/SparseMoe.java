package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A mixture-of-experts feed-forward block (Mixtral, Qwen2-MoE, Qwen3-MoE): a router picks the top
 * {@code k} experts of each token, the token goes through those experts only, and their outputs are
 * summed with the routing weights; a shared expert, when the family has one, adds {@code
 * sigmoid(shared_expert_gate(x)) * shared_expert(x)}.
 *
 * <p>Children (mlx-lm's names, which the families map transformers checkpoints to): {@code gate}
 * (the router, a {@link ai.djl.nn.core.Linear} {@code [E, H]}), {@code switch_mlp} (a {@link
 * SwitchGlu}), and optionally {@code shared_expert} (a {@link GatedMlp}) and {@code
 * shared_expert_gate} ({@code [1, H]}). All projections are quantizable.
 *
 * <p>Routing follows transformers: softmax of the router logits in float32, top-k, optional
 * renormalization ({@link MoeConfig#isNormTopKProb()}). The (token, expert) pairs are then sorted
 * by expert, gathered, pushed through the experts (one product per selected expert and projection),
 * put back in token order and weighted. Input and output: {@code [..., H]}.
 *
 * <p>The block is for inference: the choice of experts and the routing weights are computed in Java
 * from the router's probabilities, outside the autograd graph, so the router gets no gradient.
 */
public class SparseMoe extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int hiddenSize;
    private final int experts;
    private final int topK;
    private final boolean normTopKProb;

    private Block gate;
    private Block switchMlp;
    private Block sharedExpert;
    private Block sharedExpertGate;

    /**
     * Creates the block.
     *
     * @param config the model config (its {@link DecoderConfig#getMoe()} must be set)
     */
    public SparseMoe(DecoderConfig config) {
        super(VERSION);
        MoeConfig moe = config.getMoe();
        hiddenSize = config.getHiddenSize();
        experts = moe.getNumExperts();
        topK = moe.getTopK();
        normTopKProb = moe.isNormTopKProb();
        gate = addChildBlock("gate", GatedMlp.linear(experts, false));
        switchMlp =
                addChildBlock(
                        "switch_mlp",
                        new SwitchGlu(
                                experts,
                                hiddenSize,
                                moe.getExpertIntermediateSize(),
                                config.getActivation()));
        if (moe.getSharedExpertIntermediateSize() > 0) {
            sharedExpert =
                    addChildBlock(
                            "shared_expert",
                            new GatedMlp(
                                    hiddenSize,
                                    moe.getSharedExpertIntermediateSize(),
                                    false,
                                    config.getActivation(),
                                    false));
            sharedExpertGate = addChildBlock("shared_expert_gate", GatedMlp.linear(1, false));
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.head();
        Shape shape = x.getShape();
        int tokens = Math.toIntExact(shape.size() / hiddenSize);
        NDManager manager = x.getManager();
        NDArray flat = x.reshape(tokens, hiddenSize);
        NDArray logits = gate.forward(ps, new NDList(flat), training).head();
        float[] probs = logits.toType(DataType.FLOAT32, false).softmax(-1).toFloatArray();
        ExpertRouting routing = ExpertRouting.topK(probs, tokens, experts, topK, normTopKProb);

        NDArray rows = flat.get(new NDIndex("{}", manager.create(routing.sortedTokens())));
        NDArray ids = manager.create(routing.sortedExperts());
        NDArray sorted = switchMlp.forward(ps, new NDList(rows, ids), training).head();
        NDArray pairs = sorted.get(new NDIndex("{}", manager.create(routing.inverse())));
        NDArray weights =
                manager.create(routing.weights(), new Shape(tokens, topK, 1))
                        .toType(x.getDataType(), false);
        NDArray out = pairs.reshape(tokens, topK, hiddenSize).mul(weights).sum(new int[] {1});
        if (sharedExpert != null) {
            NDArray shared = sharedExpert.forward(ps, new NDList(flat), training).head();
            NDArray weight =
                    Activation.sigmoid(
                            sharedExpertGate.forward(ps, new NDList(flat), training).head());
            out = out.add(shared.mul(weight));
        }
        return new NDList(out.reshape(shape));
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape flat = new Shape(inputShapes[0].size() / hiddenSize, hiddenSize);
        gate.initialize(manager, dataType, flat);
        switchMlp.initialize(manager, dataType, flat, new Shape(flat.get(0)));
        if (sharedExpert != null) {
            sharedExpert.initialize(manager, dataType, flat);
            sharedExpertGate.initialize(manager, dataType, flat);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }
}
