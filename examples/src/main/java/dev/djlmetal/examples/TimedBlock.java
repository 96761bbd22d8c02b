package dev.djlmetal.examples;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import java.util.Objects;

/**
 * Forwards to a causal language model and notes when each forward pass starts, so that a generation
 * loop can be split into prefill (the first pass, over the prompt) and decode (one token per pass).
 * Meant for one generation at a time.
 */
public final class TimedBlock extends AbstractBlock {

    private final Block model;
    private long firstStart;
    private long secondStart;
    private int forwards;

    /**
     * Wraps a model.
     *
     * @param model the causal language model
     */
    public TimedBlock(Block model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    /** Forgets the passes seen so far. */
    public void reset() {
        forwards = 0;
        firstStart = 0;
        secondStart = 0;
    }

    /**
     * Returns the number of forward passes since the last {@link #reset()}.
     *
     * @return the count
     */
    public int getForwards() {
        return forwards;
    }

    /**
     * Returns when the second pass (the first decode step) started.
     *
     * @return a {@link System#nanoTime()} value, 0 when there was no second pass
     */
    public long getSecondStart() {
        return secondStart;
    }

    /**
     * Returns when the first pass (the prefill) started.
     *
     * @return a {@link System#nanoTime()} value, 0 when there was no pass
     */
    public long getFirstStart() {
        return firstStart;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        long now = System.nanoTime();
        if (forwards == 0) {
            firstStart = now;
        } else if (forwards == 1) {
            secondStart = now;
        }
        forwards++;
        return model.forward(parameterStore, inputs, training, params);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return model.getOutputShapes(inputShapes);
    }
}
