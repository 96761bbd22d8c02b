package dev.djlmetal.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits output rows across a fork-join pool shared by every cpu-backend weight, one worker per
 * available processor.
 */
final class RowParallel {

    /** Below this many multiply-adds a product runs on the calling thread. */
    private static final long INLINE_WORK = 1L << 16;

    private RowParallel() {}

    /** The body run on one range of rows. */
    @FunctionalInterface
    interface RowRange {
        void run(int n0, int n1);
    }

    private static final class PoolHolder {
        static final ForkJoinPool POOL =
                new ForkJoinPool(Runtime.getRuntime().availableProcessors());
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
    static void forRows(int rows, int align, long workPerRow, RowRange body) {
        int threads = PoolHolder.POOL.getParallelism();
        if (threads == 1 || rows <= align || workPerRow * rows < INLINE_WORK) {
            body.run(0, rows);
            return;
        }
        int pieces = Math.min(threads * 4, (rows + align - 1) / align);
        int grain = (rows + pieces - 1) / pieces;
        grain = (grain + align - 1) / align * align;
        PoolHolder.POOL.invoke(new Split(0, rows, grain, body));
    }

    private static final class Split extends RecursiveAction {

        private static final long serialVersionUID = 1L;

        private final int from;
        private final int to;
        private final int grain;
        private final transient RowRange body;

        Split(int from, int to, int grain, RowRange body) {
            this.from = from;
            this.to = to;
            this.grain = grain;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (to - from <= grain) {
                body.run(from, to);
                return;
            }
            int pieces = (to - from + grain - 1) / grain;
            int mid = from + pieces / 2 * grain;
            invokeAll(new Split(from, mid, grain, body), new Split(mid, to, grain, body));
        }
    }
}
