package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import org.junit.jupiter.api.Test;

/** The blocks are trainable DJL blocks: initialized by a trainer, gradients flow, loss drops. */
class LlamaTrainingTest {

    @Test
    void fewAdamStepsLowerTheNextTokenLoss() {
        DecoderConfig config = DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson());
        long[] tokens = {1, 12, 30, 7, 55, 12, 30, 7, 55, 2};
        int seq = tokens.length - 1;
        try (Model model = Model.newInstance("train", "PyTorch")) {
            model.setBlock(new CausalLM(config));
            DefaultTrainingConfig training =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(
                                    Optimizer.adam()
                                            .optLearningRateTracker(Tracker.fixed(0.01f))
                                            .build());
            try (Trainer trainer = model.newTrainer(training)) {
                trainer.initialize(new Shape(1, seq));
                NDArray all = trainer.getManager().create(tokens, new Shape(1, tokens.length));
                NDArray input = all.get(":, :{}", seq);
                NDArray labels = all.get(":, 1:").reshape(seq);
                float first = 0;
                float last = 0;
                for (int step = 0; step < 10; step++) {
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDList out = trainer.forward(new NDList(input));
                        NDArray loss =
                                training.getLossFunction()
                                        .evaluate(
                                                new NDList(labels),
                                                new NDList(out.head().reshape(seq, -1)));
                        collector.backward(loss);
                        last = loss.getFloat();
                        if (step == 0) {
                            first = last;
                        }
                    }
                    trainer.step();
                }
                assertTrue(last < first * 0.7f, "loss " + first + " -> " + last);
            }
        }
    }
}
