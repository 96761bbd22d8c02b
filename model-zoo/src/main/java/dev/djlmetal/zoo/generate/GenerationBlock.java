package dev.djlmetal.zoo.generate;

import ai.djl.inference.streaming.StreamingBlock;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The block a generation translator's predictor runs ({@link
 * dev.djlmetal.engine.PredictorBlockAdapter}): the model's causal language model, with text
 * generation as its stream.
 *
 * <p>{@link #forward} of a plain input is the model's forward pass. {@link #forwardStream} of a
 * {@link GenerationInput} steps the decoding loop of its sequences: each element of the stream is
 * one forward pass of the batch (the prefill, then one token per remaining sequence), after which
 * the sequences' listeners have received their new tokens. The stream ends when every sequence has
 * finished, and closing it early releases the batch's cache. A plain input streams its single
 * forward pass.
 *
 * <p>It holds no parameter of its own: it is a view of the model's block, not part of it.
 */
public final class GenerationBlock extends AbstractBlock implements StreamingBlock {

    private final Block model;
    private final TextGenerator generator;

    /**
     * Creates the block.
     *
     * @param model the model's block
     * @param generator the generator of the model
     */
    public GenerationBlock(Block model, TextGenerator generator) {
        this.model = model;
        this.generator = generator;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        if (inputs instanceof GenerationInput) {
            generator.run(((GenerationInput) inputs).getSequences());
            return new NDList();
        }
        return model.forward(parameterStore, inputs, training, params);
    }

    /**
     * Streams the forward passes; closing the stream releases the batch's cache even when not every
     * sequence has finished.
     *
     * @param parameterStore the parameter store
     * @param inputs a {@link GenerationInput} or a plain input
     * @param training must be false for generation
     * @param params forward parameters of a plain input
     * @return one element per forward pass
     */
    @Override
    public Stream<NDList> forwardStream(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        Iterator<NDList> steps = forwardStreamIter(parameterStore, inputs, training, params);
        Stream<NDList> stream =
                StreamSupport.stream(
                        Spliterators.spliteratorUnknownSize(steps, Spliterator.NONNULL), false);
        return steps instanceof Steps ? stream.onClose(((Steps) steps)::close) : stream;
    }

    /** {@inheritDoc} */
    @Override
    public Iterator<NDList> forwardStreamIter(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        if (!(inputs instanceof GenerationInput)) {
            return Collections.singletonList(forward(parameterStore, inputs, training, params))
                    .iterator();
        }
        return new Steps(generator.newBatch(((GenerationInput) inputs).getSequences()));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return model.getOutputShapes(inputShapes);
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        // a view: the model's block is initialized by its model
    }

    /** The steps of one batch; the batch closes when the last sequence finishes. */
    private static final class Steps implements Iterator<NDList>, AutoCloseable {

        private final DecodingBatch batch;
        private boolean closed;

        Steps(DecodingBatch batch) {
            this.batch = batch;
            if (batch.isEmpty()) {
                close();
            }
        }

        @Override
        public boolean hasNext() {
            return !closed && !batch.isEmpty();
        }

        @Override
        public NDList next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            try {
                batch.step();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            if (batch.isEmpty()) {
                close();
            }
            return new NDList();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                batch.close();
            }
        }
    }
}
