package dev.djlmetal.engine;

import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.nn.Block;
import ai.djl.translate.Translator;

/**
 * The predictor of a {@link MetalModel} whose translator is a {@link PredictorBlockAdapter}: DJL's
 * predictor running the adapted block.
 *
 * @param <I> the input type
 * @param <O> the output type
 */
final class MetalPredictor<I, O> extends Predictor<I, O> {

    MetalPredictor(MetalModel model, Translator<I, O> translator, Device device, Block block) {
        super(model, translator, device, false);
        this.block = block;
    }
}
