package dev.djlmetal.examples;

import ai.djl.ModelException;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.util.ProgressBar;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.engine.loading.CheckpointWriter;
import dev.djlmetal.quant.QuantizationReport;
import dev.djlmetal.zoo.EmbeddedModel;
import dev.djlmetal.zoo.MetalModelZoo;
import dev.djlmetal.zoo.generate.GenerationRequest;
import dev.djlmetal.zoo.generate.TextGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The djl-metal command line: generates text from a model quantized on the fly (by default the
 * embedded {@code story-llama} model at 4 bits), streaming the tokens, then prints a summary of the
 * quantization, the sizes and the speeds.
 *
 * <pre>
 * mvn -B -q -pl examples -am package -DskipTests -Pcli -Dargs="--prompt 'Once upon a time'"
 * </pre>
 */
@Command(
        name = "djl-metal",
        mixinStandardHelpOptions = true,
        version = "djl-metal 0.1.0",
        sortOptions = false,
        description =
                "Generates text with a model quantized on the fly to MLX-style affine low-bit"
                        + " weights, streaming the tokens, then prints the bits, group size,"
                        + " backend, sizes and tokens/s.")
public final class Main implements Callable<Integer> {

    @Spec private CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--model",
            paramLabel = "DIR|hf://ORG/NAME",
            description =
                    "A local Hugging Face / MLX checkpoint directory or a Hugging Face Hub id"
                            + " (default: the embedded story-llama model).")
    private String model;

    @Option(
            names = "--bits",
            paramLabel = "BITS",
            defaultValue = "4",
            converter = QuantizationOptions.BitsConverter.class,
            description =
                    "Bits per weight: 2, 3, 4, 5, 6, 8, or none (0) for float (default: 4; a"
                            + " local MLX or metal checkpoint runs as it was quantized).")
    private int bits;

    @Option(
            names = "--group-size",
            paramLabel = "N",
            defaultValue = "64",
            converter = QuantizationOptions.GroupSizeConverter.class,
            description = "Weights per scale and bias: 32, 64 or 128 (default: 64).")
    private int groupSize;

    @Option(
            names = "--skip",
            paramLabel = "MODULES",
            description =
                    "Comma-separated modules to keep in float, for example"
                            + " lm_head,model.layers.0.mlp.down_proj (default: lm_head).")
    private String skip;

    @Option(
            names = "--backend",
            paramLabel = "NAME",
            defaultValue = "auto",
            converter = QuantizationOptions.BackendConverter.class,
            description =
                    "Quantized matmul backend: auto, metal, metal-emulated, cpu, ndarray"
                            + " (default: auto).")
    private BackendKind backend;

    @Option(
            names = "--dequantize",
            description =
                    "Dequantize a pre-quantized checkpoint to float instead of running it"
                            + " quantized.")
    private boolean dequantize;

    @Option(
            names = "--prompt",
            paramLabel = "TEXT",
            defaultValue = "Once upon a time",
            description = "The prompt (default: \"${DEFAULT-VALUE}\").")
    private String prompt;

    @Option(
            names = "--max-new-tokens",
            paramLabel = "N",
            defaultValue = "64",
            description = "The most tokens to generate (default: ${DEFAULT-VALUE}).")
    private int maxNewTokens;

    @Option(
            names = "--temperature",
            paramLabel = "T",
            defaultValue = "0",
            description = "Sampling temperature; 0 is greedy decoding (default: 0).")
    private float temperature;

    @Option(
            names = "--top-k",
            paramLabel = "K",
            defaultValue = "0",
            description = "Sample among the K most likely tokens; 0 keeps all (default: 0).")
    private int topK;

    @Option(
            names = "--top-p",
            paramLabel = "P",
            defaultValue = "1",
            description = "Nucleus sampling mass in (0, 1]; 1 keeps all (default: 1).")
    private float topP;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            description = "Random seed of the sampling (default: a fresh seed).")
    private Long seed;

    @Option(
            names = "--save",
            paramLabel = "DIR",
            description = "Also save the quantized checkpoint to this directory.")
    private Path save;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            defaultValue = "mlx",
            description = "Format of --save: mlx or transformers (default: mlx).")
    private String format;

    private PrintStream out = System.out;

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the command-line arguments
     */
    public static void main(String[] args) {
        System.exit(execute(System.out, System.err, args));
    }

    /**
     * Runs the command line.
     *
     * @param out where the generated text and the summary go
     * @param err where usage errors and failures go
     * @param args the command-line arguments
     * @return the exit status: 0 on success, 2 for bad flags, 1 when the run fails
     */
    public static int execute(PrintStream out, PrintStream err, String... args) {
        Main main = new Main();
        main.out = out;
        CommandLine cli = new CommandLine(main);
        cli.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
        cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        cli.setExecutionExceptionHandler(
                (e, commandLine, parseResult) -> {
                    commandLine.getErr().println("error: " + describe(e));
                    commandLine.getErr().flush();
                    return 1;
                });
        return cli.execute(args);
    }

    /**
     * Loads the model, generates and prints the summary.
     *
     * @return 0
     * @throws IOException when the model or the output cannot be read or written
     * @throws ModelException when the model cannot be loaded
     */
    @Override
    public Integer call() throws IOException, ModelException {
        CheckpointFormat saveFormat = validate();
        Criteria<String, String> criteria = criteria();
        String what = model == null ? "embedded model " + EmbeddedModel.ARTIFACT_ID : model;
        String action = bits == 0 ? "Loading " + what : "Loading and quantizing " + what;
        out.println(action + " ...");
        long start = System.nanoTime();
        try (ZooModel<String, String> zooModel = criteria.loadModel()) {
            out.printf(Locale.ROOT, "%s: done in %.2f s%n", action, seconds(start));
            MetalModel metal = (MetalModel) zooModel.getWrappedModel();
            long savedBytes = -1;
            if (save != null) {
                out.println("Saving the " + saveFormat.getOptionName() + " checkpoint to " + save);
                long saveStart = System.nanoTime();
                CheckpointWriter.save(metal, save, saveFormat);
                savedBytes = ModelSizes.safetensorsBytes(save);
                out.printf(Locale.ROOT, "Saved in %.2f s%n", seconds(saveStart));
            }
            TextGenerator generator = TextGenerator.of(zooModel);
            int promptTokens = generator.getTokenizer().encode(prompt).length;
            long warmStart = System.nanoTime();
            generator
                    .withConfig(generator.getConfig().toBuilder().optMaxNewTokens(2).build())
                    .generate(prompt);
            out.printf(
                    Locale.ROOT,
                    "Warm-up (backend weight preparation, JIT): %.2f s%n",
                    seconds(warmStart));
            out.println();
            out.print(prompt);
            out.flush();
            TokenTimer timer =
                    new TokenTimer(
                            piece -> {
                                out.print(piece);
                                out.flush();
                            });
            long genStart = System.nanoTime();
            generator.generate(GenerationRequest.of(prompt), timer);
            long genEnd = System.nanoTime();
            out.println();
            GenerationSpeed speed = GenerationSpeed.measure(timer, promptTokens, genStart, genEnd);
            printSummary(metal, speed, savedBytes);
        }
        return 0;
    }

    private CheckpointFormat validate() {
        if (maxNewTokens < 0) {
            throw usage("--max-new-tokens", maxNewTokens, "an integer >= 0");
        }
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw usage("--temperature", temperature, "a finite number >= 0 (0 = greedy)");
        }
        if (topK < 0) {
            throw usage("--top-k", topK, "an integer >= 0 (0 = all)");
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw usage("--top-p", topP, "a number in (0, 1]");
        }
        CheckpointFormat saveFormat;
        try {
            saveFormat = CheckpointFormat.fromOptionName(format);
        } catch (IllegalArgumentException e) {
            throw usage("--format", format, "mlx or transformers");
        }
        if (saveFormat == CheckpointFormat.FLOAT) {
            throw usage("--format", format, "mlx or transformers");
        }
        if (save != null && bits == 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--save writes a quantized checkpoint: give --bits 2..8");
        }
        if (model != null && !model.startsWith("hf://")) {
            Path dir = Paths.get(model);
            if (!Files.isRegularFile(dir.resolve("config.json"))) {
                throw usage(
                        "--model",
                        model,
                        "a directory holding config.json and safetensors weights, or an"
                                + " hf://org/name id");
            }
        }
        return saveFormat;
    }

    private CommandLine.ParameterException usage(String flag, Object value, String allowed) {
        return new CommandLine.ParameterException(
                spec.commandLine(),
                "Invalid value for option '"
                        + flag
                        + "': '"
                        + value
                        + "' (allowed: "
                        + allowed
                        + ")");
    }

    private Criteria<String, String> criteria() {
        Criteria.Builder<String, String> builder =
                Criteria.builder()
                        .setTypes(String.class, String.class)
                        .optEngine(MetalModelZoo.ENGINE)
                        .optProgress(new ProgressBar())
                        .optArgument("maxNewTokens", maxNewTokens)
                        .optArgument("temperature", temperature)
                        .optArgument("topK", topK)
                        .optArgument("topP", topP)
                        .optOption("backend", backend.getOptionName())
                        .optOption("dequantize", String.valueOf(dequantize));
        if (seed != null) {
            builder.optArgument("seed", seed);
        }
        if (bits != 0 && !(isPreQuantized() && !bitsGiven())) {
            builder.optOption("bits", String.valueOf(bits))
                    .optOption("groupSize", String.valueOf(groupSize));
        }
        if (skip != null) {
            builder.optOption("modulesToNotConvert", skip);
        }
        if (model == null) {
            builder.optGroupId(MetalModelZoo.GROUP_ID).optArtifactId(EmbeddedModel.ARTIFACT_ID);
        } else if (model.startsWith("hf://")) {
            builder.optModelUrls(model);
        } else {
            builder.optModelPath(Paths.get(model));
        }
        return builder.build();
    }

    private boolean bitsGiven() {
        return spec.commandLine().getParseResult().hasMatchedOption("--bits");
    }

    /** Whether {@code --model} is a local checkpoint that is quantized already (MLX or metal). */
    private boolean isPreQuantized() {
        if (model == null || model.startsWith("hf://")) {
            return false;
        }
        try (Reader reader = Files.newBufferedReader(Paths.get(model, "config.json"))) {
            JsonObject config = JsonParser.parseReader(reader).getAsJsonObject();
            return config.has("quantization") || config.has("quantization_config");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private void printSummary(MetalModel metal, GenerationSpeed speed, long savedBytes)
            throws IOException {
        Object reportObject = metal.getQuantizationReport();
        QuantizationReport report =
                reportObject instanceof QuantizationReport
                        ? (QuantizationReport) reportObject
                        : null;
        boolean quantized = report != null && !report.getConverted().isEmpty();
        long memory = ModelSizes.parameterBytes(metal.getBlock());
        long floatMemory = ModelSizes.floatBytes(memory, report);
        long disk = ModelSizes.safetensorsBytes(metal.getModelPath());

        out.println();
        out.println("--- summary ---");
        out.println("model:          " + metal.getModelPath());
        if (quantized) {
            out.printf(
                    Locale.ROOT,
                    "bits:           %d%ngroup size:     %d%nlayers:         %d quantized,"
                            + " %d kept in float%n",
                    metal.getConfig().getBits(),
                    metal.getConfig().getGroupSize(),
                    report.getConverted().size(),
                    report.getSkipped().size());
        } else {
            out.println("bits:           none (float)");
            out.println("group size:     -");
        }
        BackendKind used = metal.getBackendKind();
        out.println("backend:        " + (used == null ? "none (no quantized layer)" : used));
        out.printf(
                Locale.ROOT,
                "size in memory: %s (float: %s, %.2fx smaller)%n",
                ModelSizes.format(memory),
                ModelSizes.format(floatMemory),
                (double) floatMemory / memory);
        String diskLine = "size on disk:   " + ModelSizes.format(disk) + " checkpoint read";
        if (savedBytes >= 0) {
            diskLine += ", " + ModelSizes.format(savedBytes) + " quantized checkpoint saved";
        }
        out.println(diskLine);
        out.println("prefill:        " + speed.describePrefill());
        out.println("decode:         " + speed.describeDecode());
        out.flush();
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        Throwable cause = e.getCause();
        while (cause != null && cause != e) {
            if (cause.getMessage() != null && !sb.toString().contains(cause.getMessage())) {
                sb.append(": ").append(cause.getMessage());
            }
            e = cause;
            cause = cause.getCause();
        }
        return sb.toString();
    }
}
