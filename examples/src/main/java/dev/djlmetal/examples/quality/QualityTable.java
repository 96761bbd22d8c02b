package dev.djlmetal.examples.quality;

import ai.djl.ModelException;

import dev.djlmetal.examples.train.TrainEmbeddedModel;
import dev.djlmetal.zoo.EmbeddedModel;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * Prints the quantization quality table: held-out perplexity and top-1 next-token agreement with
 * float32, for float32 and 8/6/5/4/3/2 bits at group sizes 32/64/128, for the embedded model and
 * (when {@code <shared>/models/stories260K} exists) for stories260K.
 *
 * <p>The held-out text is stories of the project's grammar drawn with a seed the embedded model did
 * not train on; they are TinyStories-like, so they are held out for stories260K too.
 */
@Command(
        name = "quality-table",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description =
                "Measures held-out perplexity and top-1 agreement with float32 for every bit"
                        + " width and group size, and prints a Markdown table.")
public final class QualityTable implements Callable<Integer> {

    /** The bit widths of the table, most first. */
    public static final int[] BITS = {8, 6, 5, 4, 3, 2};

    /** The group sizes of the table. */
    public static final int[] GROUP_SIZES = {32, 64, 128};

    @Option(
            names = "--stories",
            paramLabel = "N",
            defaultValue = "64",
            description = "Held-out stories to score (default: ${DEFAULT-VALUE}).")
    private int stories;

    @Option(
            names = "--seed",
            paramLabel = "SEED",
            description =
                    "Seed of the held-out stories; the embedded model trained on another"
                            + " (default: ${DEFAULT-VALUE}, TrainEmbeddedModel.HELD_OUT_SEED).")
    private long seed = TrainEmbeddedModel.HELD_OUT_SEED;

    @Option(
            names = "--shared",
            paramLabel = "DIR",
            description =
                    "Folder holding models/stories260K (default: the djlmetal.shared.dir system"
                            + " property, else ../shared).")
    private Path shared;

    @Option(
            names = "--output",
            paramLabel = "FILE",
            description = "Also write the table to this file.")
    private Path output;

    /**
     * Runs the command and exits with its status.
     *
     * @param args the command-line arguments
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new QualityTable()).execute(args));
    }

    /**
     * Measures and prints the tables.
     *
     * @return 0
     * @throws IOException when a model cannot be read or the output cannot be written
     * @throws ModelException when a model cannot be loaded
     */
    @Override
    public Integer call() throws IOException, ModelException {
        if (stories < 1) {
            throw new CommandLine.ParameterException(
                    new CommandLine(this),
                    "Invalid value for option '--stories': " + stories + " (allowed: >= 1)");
        }
        StringBuilder markdown = new StringBuilder();
        Path embedded = EmbeddedModel.directory();
        markdown.append(table("story-llama (embedded)", embedded));
        Path sharedDir =
                shared != null
                        ? shared
                        : Paths.get(System.getProperty("djlmetal.shared.dir", "../shared"));
        Path stories260k = sharedDir.resolve("models").resolve("stories260K");
        if (Files.isRegularFile(stories260k.resolve("config.json"))) {
            markdown.append('\n').append(table("stories260K", stories260k));
        } else {
            System.err.println("Skipping stories260K: " + stories260k + " not found");
        }
        if (output != null) {
            Files.writeString(output, markdown.toString(), StandardCharsets.UTF_8);
        }
        return 0;
    }

    private String table(String name, Path dir) throws IOException, ModelException {
        List<long[]> sequences = QualityEvaluator.heldOutStories(dir, seed, stories, 512);
        QualityEvaluator evaluator = new QualityEvaluator(dir, sequences);
        List<QualityResult> results = new ArrayList<>();
        QualityResult reference = evaluator.evaluateFloat();
        results.add(reference);
        System.err.println(reference);
        Set<Integer> ineligible = new TreeSet<>();
        for (int bits : BITS) {
            for (int groupSize : GROUP_SIZES) {
                QualityResult result = evaluator.evaluate(bits, groupSize);
                System.err.println(result);
                if (result.getConvertedLayers() == 0) {
                    ineligible.add(groupSize);
                } else {
                    results.add(result);
                }
            }
        }
        String title =
                String.format(
                        Locale.ROOT,
                        "%s: %d held-out stories (seed %d), %d next-token predictions",
                        name,
                        sequences.size(),
                        seed,
                        reference.getPredictions());
        String text = markdown(title, results);
        for (int groupSize : ineligible) {
            text +=
                    String.format(
                            Locale.ROOT,
                            "%nGroup size %d: no layer is eligible (no input width divisible by"
                                    + " %d), so it is left out.%n",
                            groupSize,
                            groupSize);
        }
        System.out.print(text);
        System.out.flush();
        return text;
    }

    /**
     * Formats results as a Markdown table; the first result is the float32 reference.
     *
     * @param title the line above the table
     * @param results the results, float32 first
     * @return the Markdown text
     */
    public static String markdown(String title, List<QualityResult> results) {
        double reference = results.get(0).getPerplexity();
        StringBuilder sb = new StringBuilder();
        sb.append("**").append(title).append("**\n\n");
        sb.append("| bits | group size | layers quantized | perplexity | vs float32 |")
                .append(" top-1 agreement |\n");
        sb.append("| --- | --- | --- | --- | --- | --- |\n");
        for (QualityResult r : results) {
            boolean isFloat = r.getBits() == 0;
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "| %s | %s | %d | %.4f | %s | %.2f%% |%n",
                            isFloat ? "float32" : String.valueOf(r.getBits()),
                            isFloat ? "-" : String.valueOf(r.getGroupSize()),
                            r.getConvertedLayers(),
                            r.getPerplexity(),
                            isFloat
                                    ? "-"
                                    : String.format(
                                            Locale.ROOT,
                                            "%+.2f%%",
                                            100 * (r.getPerplexity() / reference - 1)),
                            100 * r.getAgreement()));
        }
        return sb.toString();
    }
}
