package dev.djlmetal.zoo.generate;

import ai.djl.ndarray.NDList;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The tokens of one generated sequence as they come: the output type of {@code Criteria<String,
 * GenerationStream>} and {@code Criteria<GenerationRequest, GenerationStream>}, whose {@code
 * Predictor.streamingPredict} returns it before the generation has run.
 *
 * <ul>
 *   <li>{@code streamingPredict(x).getIterativeOutput()}: iterating runs the decoding steps on the
 *       iterating thread, each {@code hasNext()} as many as it takes to produce the next token;
 *   <li>{@code getAsyncOutput()} then {@code computeAsyncOutput()} on another thread: iterating
 *       waits for the tokens the other thread produces;
 *   <li>{@code predict(x)}: the stream of a finished generation.
 * </ul>
 *
 * <p>It can be iterated once. {@link #getResult()} gives the whole result once the iteration is
 * over (or runs the rest of the generation first). Closing an iterative stream before its end stops
 * the generation and releases its cache.
 */
public final class GenerationStream implements Iterable<GeneratedToken>, AutoCloseable {

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private Iterator<NDList> steps;
    private Runnable closeSteps;
    private boolean iterated;
    private GenerationResult result;
    private RuntimeException failure;

    GenerationStream() {}

    /** The listener the sequence reports to. */
    TokenListener listener() {
        return new TokenListener() {
            @Override
            public void onToken(GeneratedToken token) {
                events.add(token);
            }

            @Override
            public void onFinish(GenerationResult finished) {
                events.add(finished);
            }
        };
    }

    /** Makes iteration drive the decoding steps (iterative streaming). */
    void driveWith(Iterator<NDList> steps, Runnable close) {
        this.steps = steps;
        this.closeSteps = close;
    }

    /** Records that the generation failed (asynchronous streaming). */
    void fail(RuntimeException e) {
        events.add(e);
    }

    /**
     * Returns the tokens; a token may release no text (see {@link GeneratedToken#getText()}).
     *
     * @return the iterator
     * @throws IllegalStateException when called twice
     */
    @Override
    public synchronized Iterator<GeneratedToken> iterator() {
        if (iterated) {
            throw new IllegalStateException("A generation stream can be iterated once");
        }
        iterated = true;
        return new Iterator<>() {
            private GeneratedToken next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    next = take();
                }
                return next != null;
            }

            @Override
            public GeneratedToken next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                GeneratedToken token = next;
                next = null;
                return token;
            }
        };
    }

    /**
     * Returns the result, running or waiting for the rest of the generation first.
     *
     * @return the result
     * @throws RuntimeException when the generation failed
     */
    public synchronized GenerationResult getResult() {
        while (result == null) {
            take();
        }
        return result;
    }

    /** The next token, or null at the end; records the result. */
    private synchronized GeneratedToken take() {
        while (result == null) {
            if (failure != null) {
                throw failure;
            }
            Object event = events.poll();
            if (event == null) {
                if (steps != null) {
                    if (!steps.hasNext()) {
                        closeSteps.run();
                        throw new IllegalStateException("The generation ended without a result");
                    }
                    try {
                        steps.next();
                    } catch (RuntimeException e) {
                        closeSteps.run();
                        failure = e;
                    }
                    continue;
                }
                try {
                    event = events.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for tokens", e);
                }
            }
            if (event instanceof GeneratedToken) {
                return (GeneratedToken) event;
            }
            if (event instanceof RuntimeException) {
                failure = (RuntimeException) event;
            } else {
                result = (GenerationResult) event;
                if (closeSteps != null) {
                    closeSteps.run();
                }
            }
        }
        Object event = events.poll();
        return event instanceof GeneratedToken ? (GeneratedToken) event : null;
    }

    /**
     * Stops an iterative stream that has not reached its end: the generation stops and its
     * key/value cache is released. Does nothing for other streams.
     */
    @Override
    public synchronized void close() {
        if (steps != null && result == null && failure == null) {
            closeSteps.run();
            failure = new IllegalStateException("The generation stream was closed");
        }
    }
}
