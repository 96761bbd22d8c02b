package dev.djlmetal.zoo.generate;

import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What the generation translators hand DJL's predictor: the sequences to generate, prepared but not
 * run, in an {@link NDList} that holds no array. DJL's predictor passes an empty list on without a
 * forward pass, so {@code predict()} runs the generation in the translator's output step, where
 * every forward pass computes the last position's logits only; {@code streamingPredict()} passes it
 * to {@link GenerationBlock#forwardStream}, which steps the batch.
 */
public final class GenerationInput extends NDList {

    private static final long serialVersionUID = 1L;

    private final transient List<SequenceState> sequences;

    /**
     * Creates the input of a batch of sequences.
     *
     * @param sequences the sequences
     */
    public GenerationInput(List<SequenceState> sequences) {
        this.sequences = Collections.unmodifiableList(new ArrayList<>(sequences));
    }

    /**
     * Returns the sequences.
     *
     * @return the sequences, in order
     */
    public List<SequenceState> getSequences() {
        return sequences;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o == this;
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
