package dev.djlmetal.examples.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's memory read bandwidth the way a decode kernel reads weights: every
 * available processor sums its slice of one large direct buffer with SIMD loads; the best of
 * several passes counts.
 */
public final class MemoryBandwidth {

    private static final VectorSpecies<Long> SPECIES = LongVector.SPECIES_PREFERRED;

    /** Keeps the sums alive so that the JIT cannot drop the reads. */
    private static volatile long sink;

    private MemoryBandwidth() {}

    /**
     * Measures the read bandwidth.
     *
     * @param bytes the buffer size (much larger than the last-level cache, for example 1 GB)
     * @param passes the number of timed passes
     * @return the best bandwidth in bytes per second
     * @throws Exception when a worker fails
     */
    public static double measure(int bytes, int passes) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
        for (int i = 0; i + 8 <= bytes; i += 8) {
            buffer.putLong(i, i);
        }
        int threads = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            int step = SPECIES.vectorByteSize() * 4;
            int slice = bytes / threads / step * step;
            double best = 0;
            long checksum = 0;
            for (int pass = 0; pass <= passes; pass++) {
                List<Future<Long>> parts = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    int from = t * slice;
                    parts.add(pool.submit(() -> sum(buffer, from, from + slice)));
                }
                for (Future<Long> part : parts) {
                    checksum += part.get();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                if (pass > 0) {
                    best = Math.max(best, (double) slice * threads / seconds);
                }
            }
            sink = checksum;
            return best;
        } finally {
            pool.shutdown();
        }
    }

    private static long sum(ByteBuffer buffer, int from, int to) {
        int width = SPECIES.vectorByteSize();
        LongVector a0 = LongVector.zero(SPECIES);
        LongVector a1 = LongVector.zero(SPECIES);
        LongVector a2 = LongVector.zero(SPECIES);
        LongVector a3 = LongVector.zero(SPECIES);
        ByteOrder order = ByteOrder.nativeOrder();
        for (int i = from; i < to; i += 4 * width) {
            a0 = a0.add(LongVector.fromByteBuffer(SPECIES, buffer, i, order));
            a1 = a1.add(LongVector.fromByteBuffer(SPECIES, buffer, i + width, order));
            a2 = a2.add(LongVector.fromByteBuffer(SPECIES, buffer, i + 2 * width, order));
            a3 = a3.add(LongVector.fromByteBuffer(SPECIES, buffer, i + 3 * width, order));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
