package dev.djlmetal.zoo.generate;

import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import java.util.ArrayList;
import java.util.List;

/**
 * The batchifier of the generation translators: a batch of {@link GenerationInput}s is one input
 * holding all their sequences (they run as one batch through the model); a step of the batch is not
 * split.
 */
public final class GenerationBatchifier implements Batchifier {

    private static final long serialVersionUID = 1L;

    /** {@inheritDoc} */
    @Override
    public NDList batchify(NDList[] inputs) {
        List<SequenceState> sequences = new ArrayList<>();
        for (NDList input : inputs) {
            if (!(input instanceof GenerationInput)) {
                throw new IllegalArgumentException(
                        "The generation batchifier takes GenerationInputs, got " + input);
            }
            sequences.addAll(((GenerationInput) input).getSequences());
        }
        return new GenerationInput(sequences);
    }

    /** {@inheritDoc} */
    @Override
    public NDList[] unbatchify(NDList inputs) {
        return new NDList[] {inputs};
    }

    /** {@inheritDoc} */
    @Override
    public NDList[] split(NDList list, int numOfSlices, boolean evenSplit) {
        throw new UnsupportedOperationException("A generation batch is not split");
    }
}
