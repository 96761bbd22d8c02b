package dev.djlmetal.zoo.generate;

import ai.djl.inference.streaming.StreamingTranslator;
import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslatorContext;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The translator of {@code Criteria<String, GenerationStream>} and {@code
 * Criteria<GenerationRequest, GenerationStream>}: DJL's {@code Predictor.streamingPredict}
 * (iterative and asynchronous) over the tokens of a generation; see {@link GenerationStream}.
 * Streaming needs the Metal engine, whose predictor runs the {@link GenerationBlock}.
 *
 * @param <I> the input type
 */
public final class StreamingGenerationTranslator<I>
        extends AbstractGenerationTranslator<I, GenerationStream>
        implements StreamingTranslator<I, GenerationStream> {

    private static final String STREAMS = "djlmetal.streams";

    private final Function<I, GenerationRequest> toRequest;

    /**
     * Creates the translator.
     *
     * @param generator the generator of the model
     * @param toRequest turns an input into a request
     */
    public StreamingGenerationTranslator(
            TextGenerator generator, Function<I, GenerationRequest> toRequest) {
        super(generator);
        this.toRequest = toRequest;
    }

    @Override
    GenerationRequest toRequest(I input) {
        return toRequest.apply(input);
    }

    @Override
    GenerationStream toOutput(GenerationResult result) {
        throw new UnsupportedOperationException("Streams are made with their sequences");
    }

    @Override
    @SuppressWarnings("unchecked")
    SequenceState newSequence(TranslatorContext ctx, I input) {
        List<GenerationStream> streams = (List<GenerationStream>) ctx.getAttachment(STREAMS);
        if (streams == null) {
            streams = new ArrayList<>();
            ctx.setAttachment(STREAMS, streams);
        }
        GenerationStream stream = new GenerationStream();
        streams.add(stream);
        return getGenerator().newSequence(toRequest(input), stream.listener());
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public List<GenerationStream> batchProcessOutput(TranslatorContext ctx, NDList list) {
        GenerationInput batch = (GenerationInput) ctx.getAttachment(SEQUENCES);
        getGenerator().run(batch.getSequences());
        return new ArrayList<>((List<GenerationStream>) ctx.getAttachment(STREAMS));
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public StreamOutput<GenerationStream> processStreamOutput(
            TranslatorContext ctx, Stream<NDList> steps) {
        GenerationStream stream = ((List<GenerationStream>) ctx.getAttachment(STREAMS)).get(0);
        return new StreamOutput<>() {
            @Override
            protected GenerationStream buildAsyncOutput() {
                return stream;
            }

            @Override
            protected void computeAsyncOutputInternal(GenerationStream output) {
                try (Stream<NDList> all = steps) {
                    Iterator<NDList> it = all.iterator();
                    while (it.hasNext()) {
                        it.next();
                    }
                } catch (RuntimeException e) {
                    output.fail(e);
                    throw e;
                }
            }

            @Override
            public GenerationStream getIterativeOutputInternal() {
                stream.driveWith(steps.iterator(), steps::close);
                return stream;
            }
        };
    }

    /** {@inheritDoc} */
    @Override
    public Support getSupport() {
        return Support.BOTH;
    }
}
