package dev.djlmetal.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.cpu.CpuPreparedWeight;
import dev.djlmetal.backend.cpu.CpuQuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Prints a table of the cpu backend's fused 4-bit and 8-bit matmul against DJL PyTorch float32
 * {@code linear} on the linear layers of Llama-3.2-1B, at M=1 (decode) and M=128 (prefill), with
 * the effective bandwidth of the weight bytes read and the machine's memory bandwidth measured in
 * the same run.
 *
 * <p>Arguments: {@code --quick} measures a subset (no lm_head, shorter timing) in well under a
 * minute; {@code --group-size=N} changes the group size (default 64); {@code --bits=3,6} changes
 * the code widths (default 4 and 8); {@code --rows=1,8,128} the activation rows M (default 1 and
 * 128). The vector width is the JVM's ({@code -Ddjlmetal.cpu.vectorBits}). Every product reads its
 * weight from memory: the measurement cycles through copies of the weight filling 256 MB, as a
 * model's layers follow one another; {@code --from-cache} reuses one weight instead (then small
 * layers stay in the last-level cache).
 */
public final class KernelBenchTable {

    private static final int[] DEFAULT_ROWS = {1, 128};

    /** The bytes of weight copies a measurement cycles through, well above the last-level cache. */
    private static final long COLD_BYTES = 256L << 20;

    private static final int[] DEFAULT_BITS = {4, 8};

    private KernelBenchTable() {}

    /**
     * Runs the benchmark and prints the table.
     *
     * @param args {@code --quick}, {@code --group-size=N}, {@code --bits=B,...}, {@code
     *     --rows=M,...}
     * @throws Exception when the bandwidth measurement fails
     */
    public static void main(String[] args) throws Exception {
        List<String> options = Arrays.asList(args);
        boolean quick = options.contains("--quick");
        boolean fromCache = options.contains("--from-cache");
        int groupSize = 64;
        int[] widths = DEFAULT_BITS;
        int[] rowCounts = DEFAULT_ROWS;
        for (String option : options) {
            if (option.startsWith("--group-size=")) {
                groupSize = Integer.parseInt(option.substring("--group-size=".length()));
            } else if (option.startsWith("--bits=")) {
                try {
                    widths =
                            Arrays.stream(option.substring("--bits=".length()).split(","))
                                    .mapToInt(b -> Integer.parseInt(b.trim()))
                                    .toArray();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "--bits takes comma-separated code widths (2 to 8), got " + option, e);
                }
            } else if (option.startsWith("--rows=")) {
                try {
                    rowCounts =
                            Arrays.stream(option.substring("--rows=".length()).split(","))
                                    .mapToInt(m -> Integer.parseInt(m.trim()))
                                    .toArray();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "--rows takes comma-separated activation row counts, got " + option, e);
                }
            } else if (!"--quick".equals(option) && !"--from-cache".equals(option)) {
                throw new IllegalArgumentException(
                        "Unknown option "
                                + option
                                + "; allowed: --quick, --from-cache, --group-size=N, --bits=B,...,"
                                + " --rows=M,...");
            }
        }
        double minSeconds = quick ? 0.3 : 1.0;
        Engine.getInstance().setRandomSeed(42);
        CpuQuantizedMatmul backend = new CpuQuantizedMatmul(BackendSettings.defaults());
        double bandwidth = MemoryBandwidth.measure(quick ? 256 << 20 : 1 << 30, 5);
        warmUp(backend, groupSize, widths, rowCounts, quick ? 3 : 8);
        System.out.printf(
                Locale.ROOT,
                "machine: %s %s, %d processors, Java %s, cpu kernel %s, OMP_WAIT_POLICY=%s%n",
                System.getProperty("os.name"),
                System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                backend.kernelName(),
                System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset)"));
        System.out.printf(
                Locale.ROOT,
                "measured memory read bandwidth: %.1f GB/s (multi-threaded bulk copies and SIMD"
                        + " sums over a %d MB direct buffer)%n%n",
                bandwidth / 1e9,
                quick ? 256 : 1024);
        System.out.printf(
                Locale.ROOT,
                "| layer | N x K | M | weights | ms | weight MB | weight GB/s | %% of bw | GFLOP/s"
                        + " | x float32 |%n");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        List<LinearShape> shapes = LinearShape.LLAMA_3_2_1B;
        if (quick) {
            shapes = shapes.subList(0, 4);
        }
        for (LinearShape shape : shapes) {
            List<Row> rows = new ArrayList<>();
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray[] inputs = new NDArray[rowCounts.length];
                for (int i = 0; i < rowCounts.length; i++) {
                    inputs[i] = BenchWeights.activations(manager, rowCounts[i], shape);
                }
                double[] floatSeconds = new double[rowCounts.length];
                try (NDManager weights = manager.newSubManager()) {
                    long bytes = (long) shape.getOutFeatures() * shape.getInFeatures() * 4;
                    NDArray[] copies = new NDArray[copies(bytes, fromCache)];
                    for (int c = 0; c < copies.length; c++) {
                        copies[c] = BenchWeights.float32(weights, shape);
                    }
                    for (int i = 0; i < rowCounts.length; i++) {
                        NDArray x = inputs[i];
                        int[] next = {0};
                        floatSeconds[i] =
                                time(
                                        () ->
                                                Linear.linear(x, copies[next[0]++ % copies.length])
                                                        .singletonOrThrow(),
                                        minSeconds);
                        rows.add(
                                new Row(shape, rowCounts[i], "float32", floatSeconds[i], bytes, 1));
                    }
                }
                for (int bits : widths) {
                    try (NDManager weights = manager.newSubManager()) {
                        QuantizedTensor first =
                                BenchWeights.quantized(weights, shape, bits, groupSize, bits);
                        CpuPreparedWeight[] prepared =
                                new CpuPreparedWeight[copies(first.byteSize(), fromCache)];
                        prepared[0] = backend.prepare(first);
                        for (int c = 1; c < prepared.length; c++) {
                            prepared[c] =
                                    backend.prepare(
                                            BenchWeights.quantized(
                                                    weights, shape, bits, groupSize, bits + c));
                        }
                        QuantizedTensor q = first;
                        for (int i = 0; i < rowCounts.length; i++) {
                            NDArray x = inputs[i];
                            int[] next = {0};
                            double seconds =
                                    time(
                                            () -> prepared[next[0]++ % prepared.length].apply(x),
                                            minSeconds);
                            String name = bits + "-bit g" + groupSize;
                            double speedup = floatSeconds[i] / seconds;
                            rows.add(
                                    new Row(
                                            shape,
                                            rowCounts[i],
                                            name,
                                            seconds,
                                            q.byteSize(),
                                            speedup));
                        }
                        for (CpuPreparedWeight p : prepared) {
                            p.close();
                        }
                    }
                }
            }
            rows.sort((a, b) -> Integer.compare(a.rows, b.rows));
            for (Row row : rows) {
                row.print(bandwidth);
            }
        }
    }

    /**
     * Returns how many copies of a weight the products cycle through: enough to fill {@value
     * #COLD_BYTES} bytes, so that each product reads its weight from memory as a model's layers do
     * (one weight called again and again would stay in the last-level cache), or one with {@code
     * --from-cache}.
     */
    private static int copies(long bytes, boolean fromCache) {
        if (fromCache) {
            return 1;
        }
        return (int) Math.max(2, (COLD_BYTES + bytes - 1) / bytes);
    }

    /**
     * Runs the quantized kernels (decode and prefill paths) until C2 has compiled them: interpreted
     * Vector API code is about a hundred times slower and would otherwise leak into the table.
     */
    private static void warmUp(
            CpuQuantizedMatmul backend,
            int groupSize,
            int[] widths,
            int[] rowCounts,
            double seconds) {
        LinearShape shape = new LinearShape("warm-up", 1024, 2048);
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> inputs = new ArrayList<>();
            for (int m : rowCounts) {
                inputs.add(BenchWeights.activations(manager, m, shape));
            }
            for (int bits : widths) {
                try (QuantizedTensor q =
                                BenchWeights.quantized(manager, shape, bits, groupSize, bits);
                        CpuPreparedWeight prepared = backend.prepare(q)) {
                    long until = System.nanoTime() + (deadline - System.nanoTime()) / 2;
                    while (System.nanoTime() < until) {
                        for (NDArray x : inputs) {
                            prepared.apply(x).close();
                        }
                    }
                }
            }
        }
    }

    /** Returns the median seconds of one call after warm-up, timed for at least minSeconds. */
    private static double time(Supplier<NDArray> call, double minSeconds) {
        long warm = System.nanoTime() + (long) (minSeconds * 0.5e9);
        for (int i = 0; i < 3 || System.nanoTime() < warm; i++) {
            call.get().close();
        }
        List<Double> samples = new ArrayList<>();
        long deadline = System.nanoTime() + (long) (minSeconds * 1e9);
        while (samples.size() < 5 || System.nanoTime() < deadline && samples.size() < 200) {
            long start = System.nanoTime();
            NDArray out = call.get();
            samples.add((System.nanoTime() - start) / 1e9);
            out.close();
        }
        samples.sort(Double::compare);
        return samples.get(samples.size() / 2);
    }

    /** One measured line of the table. */
    private static final class Row {
        final LinearShape shape;
        final int rows;
        final String weights;
        final double seconds;
        final long weightBytes;
        final double speedup;

        Row(
                LinearShape shape,
                int rows,
                String weights,
                double seconds,
                long weightBytes,
                double speedup) {
            this.shape = shape;
            this.rows = rows;
            this.weights = weights;
            this.seconds = seconds;
            this.weightBytes = weightBytes;
            this.speedup = speedup;
        }

        void print(double bandwidth) {
            double gbs = weightBytes / seconds / 1e9;
            double flops =
                    2.0 * rows * shape.getOutFeatures() * shape.getInFeatures() / seconds / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %s | %d | %s | %.3f | %.1f | %.1f | %.0f%% | %.1f | %.2fx |%n",
                    shape.getName(),
                    shape,
                    rows,
                    weights,
                    seconds * 1e3,
                    weightBytes / 1e6,
                    gbs,
                    100 * gbs * 1e9 / bandwidth,
                    flops,
                    speedup);
        }
    }
}
