package dev.djlmetal.zoo.generate;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import dev.djlmetal.engine.PredictorBlockAdapter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The common part of the generation translators: a list of inputs is one batch through the model
 * ({@link GenerationBatchifier}), and no forward pass runs in DJL's predictor for {@code predict}
 * ({@link GenerationInput} is empty): the generation runs in the output step, with the last
 * position's logits only on every pass. With the Metal engine the predictor runs a {@link
 * GenerationBlock}, which streams the steps for {@code streamingPredict}.
 *
 * @param <I> the input type
 * @param <O> the output type
 */
abstract class AbstractGenerationTranslator<I, O>
        implements Translator<I, O>, GenerationTranslator, PredictorBlockAdapter {

    static final String SEQUENCES = "djlmetal.sequences";

    private final TextGenerator generator;
    private final Batchifier batchifier = new GenerationBatchifier();

    AbstractGenerationTranslator(TextGenerator generator) {
        this.generator = Objects.requireNonNull(generator, "generator");
    }

    /** {@inheritDoc} */
    @Override
    public TextGenerator getGenerator() {
        return generator;
    }

    /** {@inheritDoc} */
    @Override
    public Block adaptPredictorBlock(Block modelBlock) {
        return new GenerationBlock(modelBlock, generator);
    }

    /** {@inheritDoc} */
    @Override
    public Batchifier getBatchifier() {
        return batchifier;
    }

    /** Turns an input into a request. */
    abstract GenerationRequest toRequest(I input);

    /** Turns a result into an output. */
    abstract O toOutput(GenerationResult result);

    /** Prepares the sequence of an input. */
    SequenceState newSequence(TranslatorContext ctx, I input) {
        return generator.newSequence(toRequest(input), null);
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, I input) {
        return batchProcessInput(ctx, Collections.singletonList(input));
    }

    /** {@inheritDoc} */
    @Override
    public O processOutput(TranslatorContext ctx, NDList list) {
        return batchProcessOutput(ctx, list).get(0);
    }

    /** {@inheritDoc} */
    @Override
    public NDList batchProcessInput(TranslatorContext ctx, List<I> inputs) {
        List<SequenceState> sequences = new ArrayList<>(inputs.size());
        for (I input : inputs) {
            sequences.add(newSequence(ctx, input));
        }
        GenerationInput batch = new GenerationInput(sequences);
        ctx.setAttachment(SEQUENCES, batch);
        return batch;
    }

    /** {@inheritDoc} */
    @Override
    public List<O> batchProcessOutput(TranslatorContext ctx, NDList list) {
        GenerationInput batch = (GenerationInput) ctx.getAttachment(SEQUENCES);
        List<SequenceState> sequences = batch.getSequences();
        if (!sequences.isEmpty() && !sequences.get(0).isDone()) {
            generator.run(sequences);
        }
        List<O> outputs = new ArrayList<>(sequences.size());
        for (SequenceState sequence : sequences) {
            outputs.add(toOutput(sequence.getResult()));
        }
        return outputs;
    }
}
