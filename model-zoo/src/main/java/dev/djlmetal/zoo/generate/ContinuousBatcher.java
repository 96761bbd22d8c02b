package dev.djlmetal.zoo.generate;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous batching of concurrent generation requests: one decoding thread per model steps one
 * {@link DecodingBatch}, and requests submitted from any thread join it between steps and leave it
 * when they finish, each with its own sampling settings and stop conditions. While several requests
 * decode at once, each step reads the packed weights once for all of them.
 *
 * <p>Up to {@code maxBatch} sequences run at once; more wait in arrival order. A request's caller
 * blocks in {@link #run} (or holds the future of {@link #submit}); its listeners are called on the
 * decoding thread. A failing step fails the requests of that step (their callers get the exception)
 * and the loop goes on with the next ones. The thread is a daemon started on the first request and
 * stopped by {@link #close()}.
 */
public final class ContinuousBatcher implements AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(ContinuousBatcher.class);

    private final Supplier<DecodingBatch> batches;
    private final int maxBatch;
    private final String name;
    private final LinkedBlockingQueue<Submission> queue = new LinkedBlockingQueue<>();
    private Thread thread;
    private volatile boolean closed;
    private volatile int peakBatch;

    /**
     * Creates a batcher.
     *
     * @param batches creates an empty decoding batch of the model
     * @param maxBatch the most sequences decoded at once (at least 1)
     * @param name the name of the decoding thread
     * @throws IllegalArgumentException when {@code maxBatch} is below 1
     */
    public ContinuousBatcher(Supplier<DecodingBatch> batches, int maxBatch, String name) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException(
                    "The batch must hold at least one sequence, got " + maxBatch);
        }
        this.batches = batches;
        this.maxBatch = maxBatch;
        this.name = name;
    }

    /**
     * Returns the most sequences decoded at once.
     *
     * @return the batch limit
     */
    public int getMaxBatch() {
        return maxBatch;
    }

    /**
     * Returns the most sequences that have stepped together so far (a statistic for monitoring and
     * tests).
     *
     * @return the largest batch of one step
     */
    public int getPeakBatch() {
        return peakBatch;
    }

    /**
     * Generates sequences in the shared batch and waits until every one has finished.
     *
     * @param sequences the sequences
     * @throws RuntimeException what a decoding step threw, or {@link IllegalStateException} when
     *     interrupted or closed
     */
    public void run(List<SequenceState> sequences) {
        CompletableFuture<Void> done = submit(sequences);
        try {
            done.get();
        } catch (InterruptedException e) {
            for (SequenceState sequence : sequences) {
                sequence.cancel();
            }
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while generating", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException("Generation failed", cause);
        }
    }

    /**
     * Submits sequences to the shared batch.
     *
     * @param sequences the sequences
     * @return a future completed when every sequence has finished (or was cancelled), or
     *     exceptionally with what a decoding step threw
     * @throws IllegalStateException when the batcher is closed
     */
    public synchronized CompletableFuture<Void> submit(List<SequenceState> sequences) {
        if (closed) {
            throw new IllegalStateException("The continuous batcher " + name + " is closed");
        }
        Submission submission = new Submission(new ArrayList<>(sequences));
        if (submission.isDone()) {
            submission.future.complete(null);
            return submission.future;
        }
        queue.add(submission);
        if (thread == null) {
            thread = new Thread(this::loop, name);
            thread.setDaemon(true);
            thread.start();
        }
        return submission.future;
    }

    /** Stops the decoding thread; requests not finished fail. */
    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void loop() {
        List<Submission> active = new ArrayList<>();
        DecodingBatch batch = null;
        try {
            while (!closed) {
                if (active.isEmpty()) {
                    active.add(queue.take());
                }
                if (batch == null) {
                    batch = batches.get();
                }
                admit(batch, active);
                if (batch.isEmpty()) {
                    completeFinished(active);
                    continue;
                }
                peakBatch = Math.max(peakBatch, batch.size());
                try {
                    batch.step();
                } catch (RuntimeException | Error e) {
                    logger.warn("A decoding step failed; its requests fail", e);
                    for (Submission s : active) {
                        s.cancelAll();
                        s.future.completeExceptionally(e);
                    }
                    active.clear();
                    batch.close();
                    batch = null;
                    continue;
                }
                completeFinished(active);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (batch != null) {
                batch.close();
            }
            IllegalStateException stopped =
                    new IllegalStateException("The continuous batcher " + name + " was closed");
            for (Submission s : active) {
                s.future.completeExceptionally(stopped);
            }
            for (Submission s = queue.poll(); s != null; s = queue.poll()) {
                s.future.completeExceptionally(stopped);
            }
        }
    }

    /** Moves waiting submissions into the batch while they fit (one at least when it is empty). */
    private void admit(DecodingBatch batch, List<Submission> active) {
        for (Submission s : active) {
            s.addTo(batch);
        }
        for (Submission next = queue.peek(); next != null; next = queue.peek()) {
            if (batch.size() > 0 && batch.size() + next.remaining() > maxBatch) {
                break;
            }
            queue.poll();
            active.add(next);
            next.addTo(batch);
        }
    }

    private static void completeFinished(List<Submission> active) {
        for (Iterator<Submission> it = active.iterator(); it.hasNext(); ) {
            Submission s = it.next();
            if (s.isDone()) {
                s.future.complete(null);
                it.remove();
            }
        }
    }

    /** The sequences of one request and their future. */
    private static final class Submission {

        final List<SequenceState> sequences;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        private boolean added;

        Submission(List<SequenceState> sequences) {
            this.sequences = sequences;
        }

        int remaining() {
            int count = 0;
            for (SequenceState s : sequences) {
                if (!s.isDone()) {
                    count++;
                }
            }
            return count;
        }

        boolean isDone() {
            return remaining() == 0;
        }

        void addTo(DecodingBatch batch) {
            if (!added) {
                added = true;
                for (SequenceState s : sequences) {
                    batch.add(s);
                }
            }
        }

        void cancelAll() {
            for (SequenceState s : sequences) {
                s.cancel();
            }
        }
    }
}
