package dev.djlmetal.examples.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.JsonObject;
import com.sun.jna.Native;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The report a first Mac user pastes into an issue: the machine, which backends are available (with
 * the reason when Metal is not), the device-layer tests run on the spot (the Apple GPU against the
 * plain-Java reference, the emulator, the provider), and a short decode benchmark of the same
 * random Llama-3.2-1B-shaped model on {@code metal} and on {@code cpu} in one run. Nothing is
 * uploaded; the report is printed (and written to {@code --output}).
 *
 * <pre>
 * mvn -B -q -pl examples -am package -DskipTests -Pcli \
 *     -Ddjlmetal.main=dev.djlmetal.examples.bench.MacReport -Dargs="--output mac-report.md"
 * </pre>
 */
@Command(
        name = "mac-report",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Device-layer tests and a short metal-vs-cpu decode benchmark, printed as a report"
                        + " to paste into an issue.")
public final class MacReport implements Callable<Integer> {

    /** The test classes run by default: everything that exercises the Metal device layer. */
    static final List<String> DEFAULT_TEST_CLASSES =
            List.of(
                    "dev.djlmetal.backend.metal.objc.ObjcMetalDeviceTest",
                    "dev.djlmetal.backend.metal.objc.MetalBackendProviderTest",
                    "dev.djlmetal.backend.metal.AffineQmmKernelsTest",
                    "dev.djlmetal.backend.metal.MetalQuantizedMatmulTest",
                    "dev.djlmetal.backend.metal.emulator.EmulatedMetalDeviceTest",
                    "dev.djlmetal.backend.metal.emulator.EmulatedKernelsTest");

    private static final int MAX_FAILURES_SHOWN = 25;
    private static final int MESSAGE_LINES = 6;

    @Option(
            names = "--layers",
            defaultValue = "4",
            description = "Decoder layers of the benchmark model (default: ${DEFAULT-VALUE}).")
    private int layers;

    @Option(
            names = "--tokens",
            defaultValue = "16",
            description = "Tokens decoded greedily per configuration (default: ${DEFAULT-VALUE}).")
    private int tokens;

    @Option(
            names = "--prompt-tokens",
            defaultValue = "8",
            description = "Prompt length before the timed decode (default: ${DEFAULT-VALUE}).")
    private int promptTokens;

    @Option(
            names = "--prefill-tokens",
            defaultValue = "64",
            description = "Length of the timed prefill (default: ${DEFAULT-VALUE}).")
    private int prefillTokens;

    @Option(
            names = "--test-classes",
            split = ",",
            description = "Test classes to run (default: the Metal device-layer tests).")
    private List<String> testClasses;

    @Option(names = "--skip-tests", description = "Do not run the tests.")
    private boolean skipTests;

    @Option(names = "--skip-benchmark", description = "Do not run the benchmark.")
    private boolean skipBenchmark;

    @Option(names = "--output", description = "Also write the report to this file.")
    private Path output;

    /**
     * Runs the report.
     *
     * @param args the flags (see {@code --help})
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new MacReport()).execute(args));
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (layers < 1 || tokens < 1 || promptTokens < 1 || prefillTokens < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "--layers, --tokens, --prompt-tokens and --prefill-tokens must be >= 1");
        }
        StringBuilder report = new StringBuilder();
        report.append("## djl-metal Mac report\n\n");
        report.append(
                "Generated "
                        + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                        + " by `MacReport`. Paste it into an issue as it is.\n\n");
        environment(report);
        int failures = 0;
        if (!skipTests) {
            failures = tests(report);
        }
        if (!skipBenchmark) {
            benchmark(report);
        }
        String text = report.toString();
        System.out.println(text);
        if (output != null) {
            Files.writeString(output, text, StandardCharsets.UTF_8);
            System.err.println("Report written to " + output.toAbsolutePath());
        }
        return failures == 0 ? 0 : 1;
    }

    // -----------------------------------------------------------------------------------------
    // Environment

    private static void environment(StringBuilder report) {
        report.append("### Machine\n\n");
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put(
                "OS",
                System.getProperty("os.name")
                        + " "
                        + command("sw_vers", "-productVersion")
                                .orElse(System.getProperty("os.version"))
                        + " ("
                        + System.getProperty("os.arch")
                        + ")");
        facts.put(
                "chip",
                command("sysctl", "-n", "machdep.cpu.brand_string").orElse("(sysctl unavailable)"));
        facts.put(
                "memory",
                command("sysctl", "-n", "hw.memsize")
                        .map(b -> String.format(Locale.ROOT, "%.1f GB", Long.parseLong(b) / 1e9))
                        .orElse("(sysctl unavailable)"));
        facts.put("processors", Integer.toString(Runtime.getRuntime().availableProcessors()));
        facts.put(
                "Java",
                System.getProperty("java.version")
                        + " ("
                        + System.getProperty("java.vendor")
                        + ", "
                        + System.getProperty("java.vm.name")
                        + ")");
        facts.put("djl-metal", engineVersion());
        facts.put("JNA", Native.VERSION);
        for (Map.Entry<String, String> fact : facts.entrySet()) {
            report.append("- ").append(fact.getKey()).append(": ").append(fact.getValue());
            report.append('\n');
        }
        report.append("\n### Backends\n\n");
        for (BackendKind kind :
                new BackendKind[] {
                    BackendKind.METAL, BackendKind.METAL_EMULATED, BackendKind.CPU
                }) {
            String reason;
            try {
                reason = Backends.provider(kind).unavailableReason();
            } catch (RuntimeException e) {
                reason = e.toString();
            }
            report.append("- `")
                    .append(kind.getOptionName())
                    .append("`: ")
                    .append(reason.isEmpty() ? "available" : "unavailable: " + oneLine(reason))
                    .append('\n');
        }
        report.append("- `auto` resolves to `")
                .append(Backends.resolve(BackendKind.AUTO, Device.cpu()).getOptionName())
                .append("` on CPU devices\n\n");
    }

    private static String engineVersion() {
        try {
            return Engine.getEngine("Metal").getVersion();
        } catch (RuntimeException e) {
            return "(unknown: " + e.getMessage() + ")";
        }
    }

    /** Returns the trimmed output of a command, or empty when it cannot run or fails. */
    static Optional<String> command(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out;
            try (InputStream in = process.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            }
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return out.isEmpty() ? Optional.empty() : Optional.of(out);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s*\\R\\s*", " | ");
    }

    // -----------------------------------------------------------------------------------------
    // Tests

    private int tests(StringBuilder report) {
        report.append("### Device-layer tests\n\n");
        List<ClassSelector> selectors = new ArrayList<>();
        for (String name : testClasses == null ? DEFAULT_TEST_CLASSES : testClasses) {
            try {
                selectors.add(selectClass(Class.forName(name.trim())));
            } catch (ClassNotFoundException e) {
                report.append("- `").append(name).append("`: not on the classpath\n");
            }
        }
        TestResults results = new TestResults();
        if (!selectors.isEmpty()) {
            LauncherDiscoveryRequest request =
                    LauncherDiscoveryRequestBuilder.request().selectors(selectors).build();
            Launcher launcher = LauncherFactory.create();
            PrintStream console = System.out;
            // Test output (DJL's logs, PyTorch) goes to stderr, the report to stdout.
            System.setOut(System.err);
            try {
                launcher.execute(request, results);
            } finally {
                System.setOut(console);
            }
        }
        results.appendTo(report);
        return results.failed;
    }

    /** Collects per-class counts and the failures of one launcher run. */
    static final class TestResults implements TestExecutionListener {

        private final Map<String, int[]> perClass = new LinkedHashMap<>();
        private final List<String> failures = new ArrayList<>();
        private final List<String> skips = new ArrayList<>();
        int failed;

        private int[] counts(TestIdentifier test) {
            String source =
                    test.getSource()
                            .map(
                                    s ->
                                            s instanceof MethodSource
                                                    ? ((MethodSource) s).getClassName()
                                                    : s.toString())
                            .orElse(test.getDisplayName());
            String simple = source.substring(source.lastIndexOf('.') + 1);
            return perClass.computeIfAbsent(simple, k -> new int[3]);
        }

        /** {@inheritDoc} */
        @Override
        public void executionSkipped(TestIdentifier test, String reason) {
            if (test.isContainer()
                    && test.getSource().filter(s -> s instanceof ClassSource).isPresent()) {
                String name = test.getDisplayName();
                perClass.computeIfAbsent(name, k -> new int[3]);
                skips.add("`" + name + "`: " + oneLine(reason));
            } else if (test.isTest()) {
                counts(test)[2]++;
            }
        }

        /** {@inheritDoc} */
        @Override
        public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            if (!test.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                return;
            }
            if (test.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                counts(test)[0]++;
                return;
            }
            failed++;
            if (test.isTest()) {
                counts(test)[1]++;
            }
            if (failures.size() < MAX_FAILURES_SHOWN) {
                String message =
                        result.getThrowable().map(MacReport::describe).orElse("(no exception)");
                failures.add(
                        "**"
                                + test.getLegacyReportingName()
                                + "** ("
                                + test.getUniqueIdObject().getLastSegment().getValue()
                                + ")\n\n```\n"
                                + message
                                + "\n```");
            }
        }

        void appendTo(StringBuilder report) {
            report.append("| test class | passed | failed | skipped |\n");
            report.append("| --- | --- | --- | --- |\n");
            for (Map.Entry<String, int[]> e : perClass.entrySet()) {
                int[] c = e.getValue();
                report.append(
                        String.format(
                                Locale.ROOT,
                                "| %s | %d | %d | %d |%n",
                                e.getKey(),
                                c[0],
                                c[1],
                                c[2]));
            }
            report.append('\n');
            for (String skip : skips) {
                report.append("- skipped ").append(skip).append('\n');
            }
            if (!skips.isEmpty()) {
                report.append('\n');
            }
            if (failed > 0) {
                report.append("Failures (").append(failed).append("):\n\n");
                for (String failure : failures) {
                    report.append(failure).append("\n\n");
                }
            }
        }
    }

    private static String describe(Throwable t) {
        StringBuilder b = new StringBuilder();
        String[] lines = String.valueOf(t).split("\\R");
        for (int i = 0; i < Math.min(lines.length, MESSAGE_LINES); i++) {
            b.append(lines[i]).append('\n');
        }
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i < Math.min(stack.length, 4); i++) {
            b.append("    at ").append(stack[i]).append('\n');
        }
        if (t.getCause() != null && t.getCause() != t) {
            b.append("Caused by: ").append(t.getCause()).append('\n');
        }
        return b.toString().trim();
    }

    // -----------------------------------------------------------------------------------------
    // Benchmark

    private void benchmark(StringBuilder report) {
        report.append("### Decode benchmark\n\n");
        report.append(
                String.format(
                        Locale.ROOT,
                        "Llama-3.2-1B shape with %d layer(s) (hidden 2048, vocabulary 128256),"
                                + " random weights, 4-bit group 64; %d greedy tokens after a"
                                + " prompt of %d tokens, a prefill of %d tokens; one process, metal"
                                + " first. Only the quantized linear layers run on the backend;"
                                + " attention, norms and the rest run in DJL's PyTorch CPU"
                                + " engine for both rows.%n%n",
                        layers,
                        tokens,
                        promptTokens,
                        prefillTokens));
        Map<DecodeConfiguration, Object> rows = new LinkedHashMap<>();
        for (DecodeConfiguration configuration :
                new DecodeConfiguration[] {
                    DecodeConfiguration.Q4_METAL, DecodeConfiguration.Q4_CPU
                }) {
            BackendKind kind = configuration.getBackend();
            if (!Backends.isAvailable(kind)) {
                rows.put(
                        configuration,
                        "not available: " + oneLine(Backends.provider(kind).unavailableReason()));
                continue;
            }
            System.err.println("running " + configuration);
            try {
                rows.put(
                        configuration,
                        new DecodeRun(
                                        configuration,
                                        layers,
                                        promptTokens,
                                        prefillTokens,
                                        tokens,
                                        false,
                                        new int[0],
                                        0)
                                .run());
            } catch (RuntimeException | Error e) {
                rows.put(configuration, "failed: " + oneLine(describe(e)));
            }
        }
        report.append(benchmarkTable(rows));
    }

    /**
     * Formats the benchmark rows: a measurement (DecodeRun's JSON) or the reason there is none.
     *
     * @param rows the configurations in order, each with a JsonObject or a String
     * @return a Markdown table
     */
    static String benchmarkTable(Map<DecodeConfiguration, Object> rows) {
        StringBuilder b = new StringBuilder();
        b.append("| configuration | load s | prefill tok/s | decode tok/s | decode vs q4-cpu |\n");
        b.append("| --- | --- | --- | --- | --- |\n");
        Object cpu = rows.get(DecodeConfiguration.Q4_CPU);
        double cpuDecode = cpu instanceof JsonObject ? decodeRate((JsonObject) cpu) : Double.NaN;
        for (Map.Entry<DecodeConfiguration, Object> row : rows.entrySet()) {
            b.append("| ").append(row.getKey().getFlagName()).append(" | ");
            if (row.getValue() instanceof JsonObject) {
                JsonObject r = (JsonObject) row.getValue();
                double decode = decodeRate(r);
                double prefill =
                        r.get("prefillTokens").getAsDouble()
                                / r.get("prefillSeconds").getAsDouble();
                b.append(
                        String.format(
                                Locale.ROOT,
                                "%.1f | %.1f | %.2f | %s |%n",
                                r.get("loadSeconds").getAsDouble(),
                                prefill,
                                decode,
                                Double.isNaN(cpuDecode)
                                        ? "-"
                                        : String.format(Locale.ROOT, "%.2fx", decode / cpuDecode)));
            } else {
                b.append(row.getValue()).append(" | | | |\n");
            }
        }
        return b.append('\n').toString();
    }

    private static double decodeRate(JsonObject r) {
        return r.get("decodeTokens").getAsDouble() / r.get("decodeSeconds").getAsDouble();
    }
}
