package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import dev.djlmetal.nn.QuantizableEmbedding;
import dev.djlmetal.nn.TokenEmbedding;

/**
 * The token embedding table {@code weight [vocab, hidden]}: maps INT64 token ids {@code [B, S]} to
 * rows {@code [B, S, hidden]}.
 *
 * <p>With tied word embeddings the same table is the output projection: see {@link
 * #projectTransposed(ParameterStore, NDArray, boolean)}. As a {@link QuantizableEmbedding}, {@code
 * MetalQuantizer} may replace it by a quantized embedding, which serves both directions too ({@link
 * TokenEmbedding}).
 */
public class DecoderEmbedding extends AbstractBlock
        implements QuantizableEmbedding, TokenEmbedding {

    private static final byte VERSION = 1;

    private final int vocabSize;
    private final int hiddenSize;
    private final Parameter weight;

    /**
     * Creates the embedding.
     *
     * @param vocabSize the number of tokens
     * @param hiddenSize the embedding width
     */
    public DecoderEmbedding(int vocabSize, int hiddenSize) {
        super(VERSION);
        this.vocabSize = vocabSize;
        this.hiddenSize = hiddenSize;
        weight =
                addParameter(
                        Parameter.builder()
                                .setName("weight")
                                .setType(Parameter.Type.WEIGHT)
                                .optInitializer(new NormalInitializer(0.02f))
                                .build());
    }

    /**
     * Returns the number of tokens.
     *
     * @return the vocabulary size
     */
    public int getVocabSize() {
        return vocabSize;
    }

    /**
     * Returns the embedding width.
     *
     * @return the hidden size
     */
    public int getHiddenSize() {
        return hiddenSize;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray ids = inputs.head();
        if (ids.getDataType() != DataType.INT64 && ids.getDataType() != DataType.INT32) {
            throw new IllegalArgumentException(
                    "Token ids must be INT64 (or INT32), got " + ids.getDataType());
        }
        NDArray w = parameterStore.getValue(weight, ids.getDevice(), training);
        return new NDList(w.get(ids.getManager(), new NDIndex("{}", ids)));
    }

    /** {@inheritDoc} */
    @Override
    public Parameter getEmbeddingWeight() {
        return weight;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray embed(NDArray ids) {
        return weight.getArray().get(ids.getManager(), new NDIndex("{}", ids));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray projectTransposed(NDArray x) {
        return Linear.linear(x, weight.getArray()).head();
    }

    /**
     * Uses the table as the tied output projection: {@code hidden @ weight^T}.
     *
     * @param parameterStore the parameter store
     * @param hidden the hidden states {@code [..., hidden]}
     * @param training whether this is a training pass
     * @return the logits {@code [..., vocab]}, attached to the manager of {@code hidden}
     */
    public NDArray projectTransposed(
            ParameterStore parameterStore, NDArray hidden, boolean training) {
        NDArray w = parameterStore.getValue(weight, hidden.getDevice(), training);
        return Linear.linear(hidden, w).head();
    }

    /** {@inheritDoc} */
    @Override
    public void prepare(Shape[] inputShapes) {
        weight.setShape(new Shape(vocabSize, hiddenSize));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(hiddenSize)};
    }
}
