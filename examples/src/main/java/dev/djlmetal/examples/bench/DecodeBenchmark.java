package dev.djlmetal.examples.bench;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.cpu.CpuQuantizedMatmul;
import dev.djlmetal.backend.cpu.DecodeMath;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * End-to-end decode benchmark of a Llama-3.2-1B-shaped model with random weights (generated in
 * memory, never written or committed) in float32 (DJL PyTorch), 8-bit and 4-bit (group 64, cpu
 * backend) and optionally 4-bit on the portable backend. Each configuration runs in its own JVM
 * (started with the same java, flags and classpath) so that its peak resident memory is its own.
 * Prints a Markdown table: prefill and decode tokens/s with their ratio to float32, the bytes of
 * weights a decode step reads, the bandwidth bound (measured memory bandwidth / those bytes) and
 * the fraction of it achieved, and resident memory.
 *
 * <pre>
 * mvn -B -o -q -pl examples exec:exec -Ddjlmetal.main=dev.djlmetal.examples.bench.DecodeBenchmark \
 *     -Dargs="--quick"
 * </pre>
 */
@Command(
        name = "decode-benchmark",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Decode and prefill tokens/s and resident memory of a Llama-3.2-1B-shaped model"
                        + " with random weights, float32 against 8-bit and 4-bit.")
public final class DecodeBenchmark implements Callable<Integer> {

    private static final String RESULT_PREFIX = "DECODE-RESULT ";

    @Option(
            names = "--layers",
            description = "Decoder layers (default: 16, the real model; 4 with --quick).")
    private Integer layers;

    @Option(
            names = "--tokens",
            description =
                    "Tokens decoded greedily in the timed decode (default: 32; 8 with --quick).")
    private Integer tokens;

    @Option(
            names = "--quick",
            description = "A short run: 4 layers, 8 decoded tokens, a 256 MB bandwidth buffer.")
    private boolean quick;

    @Option(
            names = "--prompt-tokens",
            defaultValue = "8",
            description = "Prompt length before the timed decode (default: ${DEFAULT-VALUE}).")
    private int promptTokens;

    @Option(
            names = "--prefill-tokens",
            defaultValue = "128",
            description = "Length of the timed prefill (default: ${DEFAULT-VALUE}).")
    private int prefillTokens;

    @Option(
            names = "--configs",
            split = ",",
            defaultValue = "float32,q8-cpu,q6-cpu,q5-cpu,q4-cpu,q3-cpu",
            description =
                    "Configurations, among float32, q8-cpu, q6-cpu, q5-cpu, q4-cpu, q3-cpu,"
                            + " q4-ndarray, q4-metal (default: ${DEFAULT-VALUE}).")
    private List<String> configurations;

    @Option(
            names = "--ndarray-path-configs",
            split = ",",
            defaultValue = "q4-cpu",
            description =
                    "Configurations also run with decoding through the model's NDArray forward"
                            + " pass instead of the array decoder, for comparison"
                            + " (default: ${DEFAULT-VALUE}; empty for none).")
    private List<String> ndarrayPathConfigurations;

    @Option(
            names = "--batches",
            split = ",",
            defaultValue = "1,4,8",
            description =
                    "Numbers of sequences decoded together by the batch configurations"
                            + " (default: ${DEFAULT-VALUE}).")
    private List<Integer> batches;

    @Option(
            names = "--batch-configs",
            split = ",",
            defaultValue = "q4-cpu",
            description =
                    "Configurations that also decode batches and a long context"
                            + " (default: ${DEFAULT-VALUE}).")
    private List<String> batchConfigurations;

    @Option(
            names = "--long-context",
            defaultValue = "2048",
            description =
                    "Context of the long-context decode of the batch configurations (default:"
                            + " ${DEFAULT-VALUE}; 0 for none).")
    private int longContext;

    @Option(names = "--child", hidden = true, description = "Runs one configuration in-process.")
    private String child;

    @Option(names = "--ndarray-path", hidden = true, description = "The child decodes by NDArray.")
    private boolean ndarrayPath;

    @Option(names = "--child-batches", hidden = true, split = ",", description = "Child batches.")
    private List<Integer> childBatches = new ArrayList<>();

    @Option(names = "--child-long-context", hidden = true, description = "Child long context.")
    private int childLongContext;

    /**
     * Runs the benchmark.
     *
     * @param args the flags (see {@code --help})
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new DecodeBenchmark()).execute(args));
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws Exception {
        int layerCount = layers != null ? layers : quick ? 4 : 16;
        int tokenCount = tokens != null ? tokens : quick ? 8 : 32;
        if (layerCount < 1 || tokenCount < 1 || promptTokens < 1 || prefillTokens < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--layers, --tokens, --prompt-tokens and --prefill-tokens must be >= 1");
        }
        if (child != null) {
            DecodeConfiguration configuration = DecodeConfiguration.fromFlagName(child);
            JsonObject result =
                    new DecodeRun(
                                    configuration,
                                    layerCount,
                                    promptTokens,
                                    prefillTokens,
                                    tokenCount,
                                    ndarrayPath,
                                    childBatches.stream().mapToInt(Integer::intValue).toArray(),
                                    childLongContext)
                            .run();
            System.out.println(RESULT_PREFIX + result);
            return 0;
        }
        List<DecodeConfiguration> selected = new ArrayList<>();
        for (String name : configurations) {
            selected.add(DecodeConfiguration.fromFlagName(name));
        }
        List<DecodeConfiguration> withBatches = parse(batchConfigurations);
        List<DecodeConfiguration> alsoNDArray = parse(ndarrayPathConfigurations);
        int bandwidthMb = quick ? 256 : 1024;
        double bandwidth = MemoryBandwidth.measure(bandwidthMb << 20, 5);
        double multiplyAddPeak = ComputePeak.measure(quick ? 20_000_000 : 100_000_000, 3);
        Map<String, JsonObject> results = new LinkedHashMap<>();
        for (DecodeConfiguration configuration : selected) {
            boolean batched = withBatches.contains(configuration);
            results.put(
                    configuration.getFlagName(),
                    runChild(configuration, layerCount, tokenCount, false, batched));
            if (alsoNDArray.contains(configuration)) {
                results.put(
                        configuration.getFlagName() + " (NDArray ops)",
                        runChild(configuration, layerCount, tokenCount, true, false));
            }
        }
        printHeader(bandwidth, bandwidthMb, multiplyAddPeak, layerCount, tokenCount);
        new DecodeTable(results, bandwidth, multiplyAddPeak).print(System.out);
        return 0;
    }

    private void printHeader(
            double bandwidth,
            int bandwidthMb,
            double multiplyAddPeak,
            int layerCount,
            int tokenCount) {
        System.out.printf(
                Locale.ROOT,
                "machine: %s %s, %d processors, Java %s, cpu kernel %s, decode arithmetic %s%n",
                System.getProperty("os.name"),
                System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                new CpuQuantizedMatmul(BackendSettings.defaults()).kernelName(),
                DecodeMath.get().name());
        System.out.printf(
                Locale.ROOT,
                "model: Llama-3.2-1B shape (hidden 2048, intermediate 8192, %d layers, 32 heads,"
                        + " 8 kv heads, head_dim 64, vocab 128256, tied embeddings), random"
                        + " weights%n",
                layerCount);
        System.out.printf(
                Locale.ROOT,
                "decode: %d greedy tokens after a %d-token prompt; prefill: %d tokens (logits of"
                        + " the last position, as in generation); one JVM per configuration,"
                        + " OMP_WAIT_POLICY=%s%n",
                tokenCount,
                promptTokens,
                prefillTokens,
                System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset)"));
        System.out.printf(
                Locale.ROOT,
                "measured memory read bandwidth: %.1f GB/s (bulk copies and SIMD sums over a %d MB"
                        + " direct buffer)%n",
                bandwidth / 1e9,
                bandwidthMb);
        System.out.printf(
                Locale.ROOT,
                "measured float multiply-add peak: %.1f G/s (%d-lane vector FMAs on registers,"
                        + " every processor)%n%n",
                multiplyAddPeak / 1e9,
                FloatVector.SPECIES_PREFERRED.length());
    }

    private static List<DecodeConfiguration> parse(List<String> names) {
        List<DecodeConfiguration> out = new ArrayList<>();
        for (String name : names) {
            if (!name.isBlank()) {
                out.add(DecodeConfiguration.fromFlagName(name));
            }
        }
        return out;
    }

    private JsonObject runChild(
            DecodeConfiguration configuration,
            int layerCount,
            int tokenCount,
            boolean byNDArray,
            boolean batched)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(
                ProcessHandle.current()
                        .info()
                        .command()
                        .orElse(
                                Paths.get(System.getProperty("java.home"), "bin", "java")
                                        .toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-classpath");
        command.add(System.getProperty("java.class.path"));
        command.add(DecodeBenchmark.class.getName());
        command.add("--child=" + configuration.getFlagName());
        command.add("--layers=" + layerCount);
        command.add("--tokens=" + tokenCount);
        command.add("--prompt-tokens=" + promptTokens);
        command.add("--prefill-tokens=" + prefillTokens);
        if (byNDArray) {
            command.add("--ndarray-path");
        }
        if (batched) {
            StringBuilder list = new StringBuilder();
            for (int b : batches) {
                list.append(list.length() == 0 ? "" : ",").append(b);
            }
            command.add("--child-batches=" + list);
            command.add("--child-long-context=" + longContext);
        }
        System.err.println(
                "running " + configuration + (byNDArray ? " (NDArray ops)" : "") + " in a new JVM");
        Process process =
                new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        JsonObject result = null;
        try (BufferedReader reader =
                new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.startsWith(RESULT_PREFIX)) {
                    result =
                            JsonParser.parseString(line.substring(RESULT_PREFIX.length()))
                                    .getAsJsonObject();
                } else {
                    System.err.println(line);
                }
            }
        }
        int status = process.waitFor();
        if (status != 0 || result == null) {
            throw new IllegalStateException(
                    "The " + configuration + " run failed with exit status " + status);
        }
        result.addProperty("pid", process.pid());
        return result;
    }
}
