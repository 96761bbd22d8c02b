package dev.djlmetal.zoo.serving;

import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.inference.streaming.IteratorBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.BytesSupplier;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.translate.Batchifier;
import ai.djl.translate.ServingTranslator;
import ai.djl.translate.TranslatorContext;
import com.google.gson.JsonObject;
import dev.djlmetal.engine.PredictorBlockAdapter;
import dev.djlmetal.zoo.chat.ChatTemplateException;
import dev.djlmetal.zoo.generate.GenerationBatchifier;
import dev.djlmetal.zoo.generate.GenerationBlock;
import dev.djlmetal.zoo.generate.GenerationInput;
import dev.djlmetal.zoo.generate.GenerationRequest;
import dev.djlmetal.zoo.generate.GenerationTranslator;
import dev.djlmetal.zoo.generate.SequenceState;
import dev.djlmetal.zoo.generate.TextGenerator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The translator of {@code Criteria<Input, Output>}, the model contract of DJL Serving, for text
 * generation (see {@link ServingRequest} for the request schemas).
 *
 * <ul>
 *   <li>{@code batchPredict} (what DJL Serving's workers call, with several requests when {@code
 *       batch_size} &gt; 1) runs every sequence of every non-streaming request as one batch; a list
 *       of inputs answers with a list;
 *   <li>a request with {@code "stream": true} answers at once with an {@link Output} whose data is
 *       a {@link ChunkedBytesSupplier} of JSON lines ({@link StreamingResponse}), filled by a
 *       generation thread while the worker takes the next job;
 *   <li>{@code Predictor.streamingPredict} (Metal engine) streams any request, iteratively or
 *       asynchronously;
 *   <li>a malformed request, a bad parameter or a failing chat template gets a 400 output with a
 *       message; the other requests of the batch are served, and so are later ones.
 * </ul>
 */
public final class TextGenerationServingTranslator
        implements ServingTranslator, GenerationTranslator, PredictorBlockAdapter {

    private static final Logger logger =
            LoggerFactory.getLogger(TextGenerationServingTranslator.class);

    private static final String ENTRIES = "djlmetal.serving";

    private static final ExecutorService STREAMS =
            Executors.newCachedThreadPool(
                    new java.util.concurrent.ThreadFactory() {
                        private final AtomicInteger count = new AtomicInteger();

                        @Override
                        public Thread newThread(Runnable r) {
                            Thread thread =
                                    new Thread(r, "djlmetal-stream-" + count.incrementAndGet());
                            thread.setDaemon(true);
                            return thread;
                        }
                    });

    private final TextGenerator generator;
    private final String modelName;
    private final Batchifier batchifier = new GenerationBatchifier();

    /**
     * Creates the translator.
     *
     * @param generator the generator of the model
     * @param modelName the model name reported in chat responses
     */
    public TextGenerationServingTranslator(TextGenerator generator, String modelName) {
        this.generator = generator;
        this.modelName = modelName;
    }

    /** {@inheritDoc} */
    @Override
    public TextGenerator getGenerator() {
        return generator;
    }

    /**
     * Takes DJL Serving's arguments: the generation settings were read from them when the model
     * loaded, so nothing changes here.
     *
     * @param arguments the arguments
     */
    @Override
    public void setArguments(Map<String, ?> arguments) {
        // read by TextGenerator.newInstance when the translator was made
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

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, Input input) {
        return batchProcessInput(ctx, Collections.singletonList(input));
    }

    /** {@inheritDoc} */
    @Override
    public Output processOutput(TranslatorContext ctx, NDList list) {
        return batchProcessOutput(ctx, list).get(0);
    }

    /** {@inheritDoc} */
    @Override
    public NDList batchProcessInput(TranslatorContext ctx, List<Input> inputs) {
        List<Entry> entries = new ArrayList<>(inputs.size());
        List<SequenceState> all = new ArrayList<>();
        for (Input input : inputs) {
            Entry entry = new Entry();
            try {
                entry.request = ServingRequest.parse(input);
                for (GenerationRequest request : entry.request.getRequests()) {
                    StreamingResponse writer = null;
                    if (entry.request.isStream()) {
                        entry.supplier = new ChunkedBytesSupplier();
                        ChunkedBytesSupplier supplier = entry.supplier;
                        writer =
                                new StreamingResponse(
                                        entry.request.getSchema(),
                                        modelName,
                                        (line, last) -> supplier.appendContent(line, last));
                    }
                    SequenceState sequence = generator.newSequence(request, writer);
                    if (writer != null) {
                        writer.setSequence(sequence);
                    }
                    entry.sequences.add(sequence);
                }
                all.addAll(entry.sequences);
            } catch (BadRequestException | IllegalArgumentException | ChatTemplateException e) {
                entry.error = e.getMessage();
                entry.sequences.clear();
            }
            entries.add(entry);
        }
        ctx.setAttachment(ENTRIES, entries);
        return new GenerationInput(all);
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public List<Output> batchProcessOutput(TranslatorContext ctx, NDList list) {
        List<Entry> entries = (List<Entry>) ctx.getAttachment(ENTRIES);
        List<SequenceState> batch = new ArrayList<>();
        for (Entry entry : entries) {
            if (entry.error == null && !entry.request.isStream()) {
                batch.addAll(entry.sequences);
            }
        }
        String failure = null;
        if (!batch.isEmpty()) {
            try {
                generator.run(batch);
            } catch (RuntimeException e) {
                logger.error("Text generation failed", e);
                failure = "Text generation failed: " + e.getMessage();
            }
        }
        List<Output> outputs = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            if (entry.error != null) {
                outputs.add(ServingResponses.error(400, entry.error));
            } else if (entry.request.isStream()) {
                outputs.add(startStream(entry));
            } else if (failure != null) {
                outputs.add(ServingResponses.error(500, failure));
            } else {
                outputs.add(ServingResponses.complete(entry.request, entry.sequences, modelName));
            }
        }
        return outputs;
    }

    /** Answers a streaming request at once and generates on a stream thread. */
    private Output startStream(Entry entry) {
        Output output = streamOutput(entry.supplier);
        STREAMS.execute(
                () -> {
                    try {
                        generator.run(entry.sequences);
                    } catch (RuntimeException e) {
                        logger.error("Streamed text generation failed", e);
                        entry.supplier.appendContent(errorLine(e), true);
                    }
                });
        return output;
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public StreamOutput<Output> processStreamOutput(TranslatorContext ctx, Stream<NDList> steps) {
        Entry entry = ((List<Entry>) ctx.getAttachment(ENTRIES)).get(0);
        if (entry.error != null) {
            steps.close();
            Output error = ServingResponses.error(400, entry.error);
            return new StreamOutput<>() {
                @Override
                protected Output buildAsyncOutput() {
                    return error;
                }

                @Override
                protected void computeAsyncOutputInternal(Output output) {
                    // nothing to compute
                }

                @Override
                public Output getIterativeOutputInternal() {
                    return error;
                }
            };
        }
        ChunkedBytesSupplier supplier =
                entry.supplier != null ? entry.supplier : new ChunkedBytesSupplier();
        Iterator<NDList> it = steps.iterator();
        Runnable finish =
                () -> {
                    steps.close();
                    if (!entry.request.isStream()) {
                        Output complete =
                                ServingResponses.complete(
                                        entry.request, entry.sequences, modelName);
                        supplier.appendContent(complete.getData().getAsBytes(), true);
                    }
                };
        return new StreamOutput<>() {
            @Override
            protected Output buildAsyncOutput() {
                return streamOutput(supplier);
            }

            @Override
            protected void computeAsyncOutputInternal(Output output) {
                try {
                    while (it.hasNext()) {
                        it.next();
                    }
                    finish.run();
                } catch (RuntimeException e) {
                    steps.close();
                    supplier.appendContent(errorLine(e), true);
                    throw e;
                }
            }

            @Override
            public Output getIterativeOutputInternal() {
                Output output = new Output();
                output.addProperty("Content-Type", ServingResponses.JSON_LINES);
                output.add(new IteratorBytesSupplier(new Lines(supplier, it, finish)));
                return output;
            }
        };
    }

    /** {@inheritDoc} */
    @Override
    public Support getSupport() {
        return Support.BOTH;
    }

    private static Output streamOutput(ChunkedBytesSupplier supplier) {
        Output output = new Output();
        output.addProperty("Content-Type", ServingResponses.JSON_LINES);
        output.add(supplier);
        return output;
    }

    private static byte[] errorLine(RuntimeException e) {
        JsonObject line = new JsonObject();
        line.addProperty("error", "Text generation failed: " + e.getMessage());
        line.addProperty("code", 500);
        return ServingResponses.line(line);
    }

    /** One request of a batch: its parsed form and sequences, or why it was refused. */
    private static final class Entry {
        ServingRequest request;
        final List<SequenceState> sequences = new ArrayList<>();
        ChunkedBytesSupplier supplier;
        String error;
    }

    /** The lines of an iterative stream: each pull steps the batch until a line is written. */
    private static final class Lines implements Iterator<BytesSupplier> {

        private final ChunkedBytesSupplier supplier;
        private final Iterator<NDList> steps;
        private final Runnable finish;
        private boolean finished;
        private BytesSupplier pending;

        Lines(ChunkedBytesSupplier supplier, Iterator<NDList> steps, Runnable finish) {
            this.supplier = supplier;
            this.steps = steps;
            this.finish = finish;
        }

        @Override
        public boolean hasNext() {
            while (pending == null && supplier.hasNext()) {
                pending = supplier.poll();
                if (pending != null) {
                    break;
                }
                if (steps.hasNext()) {
                    steps.next();
                } else if (!finished) {
                    finished = true;
                    finish.run();
                } else {
                    return false;
                }
            }
            return pending != null;
        }

        @Override
        public BytesSupplier next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            BytesSupplier chunk = pending;
            pending = null;
            return chunk;
        }
    }
}
