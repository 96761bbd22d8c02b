package dev.djlmetal.examples.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's memory read bandwidth the way the cpu backend's kernel reads weights:
 * every available processor copies its slice of one large direct buffer, chunk by chunk, into a
 * cache-resident array and sums it with SIMD loads; the best of several passes counts.
 */
public final class MemoryBandwidth {

    private static final VectorSpecies<Long> SPECIES = LongVector.SPECIES_PREFERRED;

    /** Longs copied per chunk: 2 KB, a 4-bit weight row of 4096 columns. */
    private static final int CHUNK_LONGS = 256;

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

    /**
     * Sums {@code [from, to)} of the buffer the way the cpu backend's kernel reads weights: a bulk
     * copy of each 2 KB chunk (the size of a weight row) into a small array that stays in the L1
     * cache, then SIMD loads from the array (the only vector loads every JDK from 17 to 25 offers).
     */
    private static long sum(ByteBuffer buffer, int from, int to) {
        LongBuffer longs = buffer.asLongBuffer();
        long[] chunk = new long[CHUNK_LONGS];
        long total = 0;
        for (int i = from / Long.BYTES; i < to / Long.BYTES; i += CHUNK_LONGS) {
            int n = Math.min(CHUNK_LONGS, to / Long.BYTES - i);
            longs.get(i, chunk, 0, n);
            total += sumChunk(chunk, n);
        }
        return total;
    }

    /**
     * Sums one chunk. A method of its own, called once per chunk, so that the JIT compiles it as a
     * whole: JDK 17 compiles the vector operations of a loop entered once (on-stack replacement)
     * into much slower code, which measured a third of the bandwidth.
     */
    private static long sumChunk(long[] chunk, int n) {
        int lanes = SPECIES.length();
        LongVector a0 = LongVector.zero(SPECIES);
        LongVector a1 = LongVector.zero(SPECIES);
        LongVector a2 = LongVector.zero(SPECIES);
        LongVector a3 = LongVector.zero(SPECIES);
        int j = 0;
        for (; j + 4 * lanes <= n; j += 4 * lanes) {
            a0 = a0.add(LongVector.fromArray(SPECIES, chunk, j));
            a1 = a1.add(LongVector.fromArray(SPECIES, chunk, j + lanes));
            a2 = a2.add(LongVector.fromArray(SPECIES, chunk, j + 2 * lanes));
            a3 = a3.add(LongVector.fromArray(SPECIES, chunk, j + 3 * lanes));
        }
        long tail = 0;
        for (; j < n; j++) {
            tail += chunk[j];
        }
        return tail + a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
