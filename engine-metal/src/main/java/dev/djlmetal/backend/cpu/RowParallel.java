package dev.djlmetal.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits output rows across the calling thread and a fork-join pool (one worker fewer than the
 * threads it is given, since the caller works too). Every cpu-backend weight shares one instance
 * sized by {@value #THREADS_PROPERTY} (default: the available processors) unless its backend was
 * given a thread count of its own.
 *
 * <p>The rows are cut into a few pieces per thread that the threads claim from a shared counter, so
 * a late or slow thread takes fewer pieces. The caller starts on the pieces at once instead of
 * waiting for a worker to wake up, and helpers that have not started by the time the pieces run out
 * are cancelled rather than waited for: a decode step runs over a hundred products of a fraction of
 * a millisecond each, where the hand-off between threads is a visible share of the time.
 */
final class RowParallel {

    /**
     * The system property that sets the number of threads of the shared pool (the calling thread
     * included); the default is the number of available processors.
     */
    static final String THREADS_PROPERTY = "djlmetal.cpu.threads";

    /** Below this many multiply-adds a product runs on the calling thread. */
    private static final long INLINE_WORK = 1L << 16;

    /** The pieces per thread, for balance when threads start late or run slower. */
    private static final int PIECES_PER_THREAD = 4;

    private final int threads;
    private final ForkJoinPool pool;

    /**
     * Creates a splitter over {@code threads} threads: the caller and a pool of {@code threads - 1}
     * daemon workers.
     *
     * @param threads the threads a product may use, at least 1
     * @throws IllegalArgumentException when {@code threads} is below 1
     */
    RowParallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("A product needs at least 1 thread, got " + threads);
        }
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads - 1) : null;
    }

    /** The splitter shared by every weight of backends without their own thread count. */
    private static final class Shared {
        static final RowParallel INSTANCE =
                new RowParallel(threads(System.getProperty(THREADS_PROPERTY), THREADS_PROPERTY));
    }

    /**
     * Returns the splitter shared by default: {@value #THREADS_PROPERTY} threads, or one per
     * available processor.
     *
     * @return the shared splitter
     * @throws IllegalArgumentException when the property is not a positive integer
     */
    static RowParallel shared() {
        return Shared.INSTANCE;
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
     * @return the caller plus the pool's workers
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
     * align} rows.
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
        Pieces work = new Pieces(rows, grain, body);
        int helperCount = Math.min(threads - 1, work.count - 1);
        Helper[] helpers = new Helper[helperCount];
        for (int i = 0; i < helperCount; i++) {
            helpers[i] = new Helper(work);
            helpers[i].task = pool.submit(helpers[i]);
        }
        Throwable failure = null;
        try {
            work.drain();
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Helper helper : helpers) {
            if (helper.revoke()) {
                continue;
            }
            helper.task.quietlyJoin();
            if (failure == null) {
                failure = helper.failure;
            }
        }
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

    /**
     * One pool task that helps drain the pieces. The caller revokes a helper that has not started
     * by the time the pieces run out (it then returns at once whenever the pool gets to it) and
     * waits for one that has started, since it may still be writing its last piece.
     */
    private static final class Helper implements Runnable {

        private static final int WAITING = 0;
        private static final int STARTED = 1;
        private static final int REVOKED = 2;

        private final Pieces work;
        private final AtomicInteger state = new AtomicInteger(WAITING);
        ForkJoinTask<?> task;

        /** What the helper's pieces threw (kept as thrown: the pool would hand back a copy). */
        volatile Throwable failure;

        Helper(Pieces work) {
            this.work = work;
        }

        @Override
        public void run() {
            if (state.compareAndSet(WAITING, STARTED)) {
                try {
                    work.drain();
                } catch (RuntimeException | Error e) {
                    failure = e;
                }
            }
        }

        /** Returns whether the helper was revoked before it started. */
        boolean revoke() {
            return state.compareAndSet(WAITING, REVOKED);
        }
    }

    /** The pieces of one product, claimed one at a time by whichever thread is free. */
    private static final class Pieces {

        final int rows;
        final int grain;
        final int count;
        final RowRange body;
        final AtomicInteger next = new AtomicInteger();

        Pieces(int rows, int grain, RowRange body) {
            this.rows = rows;
            this.grain = grain;
            this.count = (rows + grain - 1) / grain;
            this.body = body;
        }

        void drain() {
            for (int piece = next.getAndIncrement();
                    piece < count;
                    piece = next.getAndIncrement()) {
                int n0 = piece * grain;
                body.run(n0, Math.min(rows, n0 + grain));
            }
        }
    }
}
