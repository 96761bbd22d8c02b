package dev.djlmetal.examples.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's float multiply-add throughput as the Vector API reaches it: every
 * available processor runs ten independent chains of fused multiply-adds on registers (enough to
 * hide their latency); the best of several passes counts. This is the ceiling of any float kernel
 * that is not limited by memory, such as a quantized product over several activation rows.
 */
public final class ComputePeak {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** Loop iterations per call of {@link #chains}. */
    private static final int BLOCK = 20_000;

    /** Keeps the results alive so that the JIT cannot drop the arithmetic. */
    private static volatile float sink;

    private ComputePeak() {}

    /**
     * Measures the multiply-add throughput.
     *
     * @param iterations the loop iterations per processor and pass (each ten vector multiply-adds),
     *     rounded down to whole blocks of {@value #BLOCK}
     * @param passes the number of timed passes
     * @return the best throughput in scalar multiply-adds per second, over all processors
     * @throws Exception when a worker fails
     */
    public static double measure(long iterations, int passes) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            double best = 0;
            float total = 0;
            for (int pass = 0; pass <= passes; pass++) {
                // the first pass runs while the JIT compiles the loop and does not count
                List<Future<Float>> parts = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    float seed = t + pass;
                    parts.add(pool.submit(() -> blocks(iterations / BLOCK, seed)));
                }
                for (Future<Float> part : parts) {
                    total += part.get();
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                if (pass > 0) {
                    double multiplyAdds = threads * (iterations / BLOCK) * BLOCK * 10.0;
                    best = Math.max(best, multiplyAdds * SPECIES.length() / seconds);
                }
            }
            sink = total;
            return best;
        } finally {
            pool.shutdown();
        }
    }

    /**
     * Runs the chains block by block. Each block is a call of its own so that the JIT compiles
     * {@link #chains} as a whole method: JDK 17 compiles the vector operations of a loop entered
     * once (on-stack replacement) into code that allocates every vector.
     */
    private static float blocks(long count, float seed) {
        float total = 0;
        for (long b = 0; b < count; b++) {
            total += chains(BLOCK, seed + total * 1e-9f);
        }
        return total;
    }

    private static float chains(int iterations, float seed) {
        FloatVector a0 = FloatVector.broadcast(SPECIES, seed);
        FloatVector a1 = a0.add(1);
        FloatVector a2 = a0.add(2);
        FloatVector a3 = a0.add(3);
        FloatVector a4 = a0.add(4);
        FloatVector a5 = a0.add(5);
        FloatVector a6 = a0.add(6);
        FloatVector a7 = a0.add(7);
        FloatVector a8 = a0.add(8);
        FloatVector a9 = a0.add(9);
        FloatVector m = FloatVector.broadcast(SPECIES, 0.999999f);
        FloatVector c = FloatVector.broadcast(SPECIES, 1e-7f);
        for (int i = 0; i < iterations; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
        }
        return a0.add(a1)
                .add(a2)
                .add(a3)
                .add(a4)
                .add(a5)
                .add(a6)
                .add(a7)
                .add(a8)
                .add(a9)
                .reduceLanes(VectorOperators.ADD);
    }
}
