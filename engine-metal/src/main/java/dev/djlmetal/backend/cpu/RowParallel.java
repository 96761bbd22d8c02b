package dev.djlmetal.backend.cpu;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits output rows across the calling thread and a set of persistent worker threads (one fewer
 * than the threads it is given, since the caller works too). Every cpu-backend weight shares the
 * instance sized by {@value #THREADS_PROPERTY} (default: the available processors) unless its
 * backend was given a thread count of its own; there is one instance, and one set of workers, per
 * thread count in a JVM.
 *
 * <p>A decode step runs over a hundred products of a fraction of a millisecond each, so the
 * hand-off between threads is kept short: the rows are cut into a few pieces per thread that the
 * threads claim from a shared counter (a late or slow thread takes fewer pieces), the caller starts
 * on the pieces at once, and idle workers spin for {@value #SPIN_MICROS} microseconds after their
 * last piece before they park, so that the next product of the step finds them awake (unless there
 * are more threads than processors, where spinning would take a processor from a thread with work).
 * A call returns only when every piece has completed, whichever thread ran it.
 */
final class RowParallel {

    /**
     * The system property that sets the number of threads of the shared instance (the calling
     * thread included); the default is the number of available processors.
     */
    static final String THREADS_PROPERTY = "djlmetal.cpu.threads";

    /** Below this many multiply-adds a product runs on the calling thread. */
    private static final long INLINE_WORK = 1L << 16;

    /** The pieces per thread, for balance when threads start late or run slower. */
    private static final int PIECES_PER_THREAD = 4;

    /** How long an idle worker spins, waiting for the next product, before it parks. */
    private static final long SPIN_MICROS = 50;

    private static final Map<Integer, RowParallel> BY_THREADS = new ConcurrentHashMap<>();

    private final int threads;
    private final long spinNanos;
    private final Worker[] workers;
    private final ConcurrentLinkedQueue<Job> jobs = new ConcurrentLinkedQueue<>();
    private final AtomicLong published = new AtomicLong();

    private RowParallel(int threads) {
        this.threads = threads;
        // spinning only pays when every thread has a processor of its own
        this.spinNanos =
                threads <= Runtime.getRuntime().availableProcessors() ? SPIN_MICROS * 1000 : 0;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(threads, i + 1);
            workers[i].start();
        }
    }

    /**
     * Returns the instance that splits products over {@code threads} threads: the caller and {@code
     * threads - 1} daemon workers, created on first use and shared by every caller that asks for
     * the same count.
     *
     * @param threads the threads a product may use, at least 1
     * @return the instance
     * @throws IllegalArgumentException when {@code threads} is below 1
     */
    static RowParallel withThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("A product needs at least 1 thread, got " + threads);
        }
        return BY_THREADS.computeIfAbsent(threads, RowParallel::new);
    }

    /**
     * Returns the instance used by default: {@value #THREADS_PROPERTY} threads, or one per
     * available processor.
     *
     * @return the shared instance
     * @throws IllegalArgumentException when the property is not a positive integer
     */
    static RowParallel shared() {
        return withThreads(threads(System.getProperty(THREADS_PROPERTY), THREADS_PROPERTY));
    }

    /**
     * Parses a thread count.
     *
     * @param value the text, or null for the number of available processors
     * @param name the property or setting it comes from, for the error message
     * @return the count
     * @throws IllegalArgumentException when the value is not a positive integer
     */
    static int threads(String value, String name) {
        if (value == null || value.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int threads = Integer.parseInt(value.trim());
            if (threads >= 1) {
                return threads;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                name + " must be a positive number of threads, got '" + value + "'");
    }

    /**
     * Returns the number of threads a product may use.
     *
     * @return the caller plus the workers
     */
    int threads() {
        return threads;
    }

    /** The body run on one range of rows. */
    @FunctionalInterface
    interface RowRange {
        void run(int n0, int n1);
    }

    /**
     * Runs {@code body} over {@code [0, rows)} split into ranges that are multiples of {@code
     * align} rows, and returns when every range has run. An exception of a range is rethrown as
     * thrown (the first one, when several fail), after every other range has completed.
     *
     * @param rows the number of rows
     * @param align the preferred range granularity
     * @param workPerRow the multiply-adds per row (to keep small products on the calling thread)
     * @param body the work
     */
    void forRows(int rows, int align, long workPerRow, RowRange body) {
        if (threads == 1 || rows <= align || workPerRow * rows < INLINE_WORK) {
            body.run(0, rows);
            return;
        }
        int pieces = Math.min(threads * PIECES_PER_THREAD, (rows + align - 1) / align);
        int grain = (rows + pieces - 1) / pieces;
        grain = (grain + align - 1) / align * align;
        Job job = new Job(rows, grain, body);
        jobs.add(job);
        published.incrementAndGet();
        int wanted = Math.min(workers.length, job.count - 1);
        for (int i = 0; i < wanted; i++) {
            workers[i].wake();
        }
        job.drain();
        jobs.remove(job);
        job.awaitCompletion();
        Throwable failure = job.failure.get();
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        if (failure != null) {
            throw new IllegalStateException("A cpu-backend worker failed", failure);
        }
    }

    /** The pieces of one product, claimed one at a time by whichever thread is free. */
    private static final class Job {

        final int rows;
        final int grain;
        final int count;
        final RowRange body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int rows, int grain, RowRange body) {
            this.rows = rows;
            this.grain = grain;
            this.count = (rows + grain - 1) / grain;
            this.body = body;
        }

        boolean hasUnclaimedPieces() {
            return next.get() < count;
        }

        /** Runs pieces until none is left to claim; a failing piece is recorded, not thrown. */
        void drain() {
            for (int piece = next.getAndIncrement();
                    piece < count;
                    piece = next.getAndIncrement()) {
                int n0 = piece * grain;
                try {
                    body.run(n0, Math.min(rows, n0 + grain));
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                } finally {
                    completed.incrementAndGet();
                }
            }
        }

        /** Waits for the pieces that other threads claimed: they are running, and short. */
        void awaitCompletion() {
            for (int spins = 0; completed.get() < count; spins++) {
                if (spins < 1 << 12) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }
    }

    /** A daemon thread that runs pieces of published jobs, spinning briefly before it parks. */
    private final class Worker extends Thread {

        private volatile boolean parked;

        Worker(int threads, int index) {
            super("djl-metal-cpu-" + threads + "-" + index);
            setDaemon(true);
        }

        /** Unparks the worker if it is parked (a spinning worker sees the new job by itself). */
        void wake() {
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            long seen = published.get();
            while (true) {
                Job job = firstOpenJob();
                if (job != null) {
                    job.drain();
                    continue;
                }
                long deadline = System.nanoTime() + spinNanos;
                while (published.get() == seen && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                if (published.get() == seen) {
                    parked = true;
                    // re-read after announcing: a publisher either sees parked or we see its job
                    if (published.get() == seen) {
                        LockSupport.park(this);
                    }
                    parked = false;
                }
                seen = published.get();
            }
        }

        private Job firstOpenJob() {
            for (Job job : jobs) {
                if (job.hasUnclaimedPieces()) {
                    return job;
                }
            }
            return null;
        }
    }
}
