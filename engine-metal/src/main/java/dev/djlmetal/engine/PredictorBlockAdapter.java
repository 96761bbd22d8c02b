package dev.djlmetal.engine;

import ai.djl.nn.Block;

/**
 * Implemented by a translator whose predictor runs a view of the model's block rather than the
 * block itself: for example a {@link ai.djl.inference.streaming.StreamingBlock} that drives text
 * generation, so that {@code Predictor.streamingPredict} works. A {@link MetalModel} gives such a
 * translator's predictor the adapted block; the model's own block is unchanged.
 */
public interface PredictorBlockAdapter {

    /**
     * Returns the block the predictor runs.
     *
     * @param modelBlock the model's block
     * @return a block whose {@code forward} of a plain input gives what {@code modelBlock} gives
     */
    Block adaptPredictorBlock(Block modelBlock);
}
