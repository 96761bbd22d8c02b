package dev.djlmetal.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.djlmetal.zoo.EmbeddedModel;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The command line: its flags, its checks of bad values and one run end to end. */
class MainTest {

    private static final String[] FLAGS = {
        "--model", "--bits", "--group-size", "--skip", "--backend", "--dequantize", "--prompt",
        "--max-new-tokens", "--temperature", "--top-k", "--top-p", "--seed", "--save", "--format",
        "--help"
    };

    @TempDir Path temp;

    @Test
    void helpListsEveryFlag() {
        Run run = run("--help");
        assertEquals(0, run.status);
        for (String flag : FLAGS) {
            assertTrue(run.out.contains(flag), flag + " missing from --help:\n" + run.out);
        }
    }

    @Test
    void unsupportedBitsAreRejectedByName() {
        Run run = run("--bits", "7");
        assertEquals(2, run.status);
        assertTrue(run.err.contains("--bits") && run.err.contains("'7'"), run.err);
    }

    @Test
    void unsupportedGroupSizeIsRejectedByName() {
        Run run = run("--group-size", "48");
        assertEquals(2, run.status);
        assertTrue(run.err.contains("--group-size") && run.err.contains("'48'"), run.err);
    }

    @Test
    void unknownBackendIsRejectedByName() {
        Run run = run("--backend", "gpu");
        assertEquals(2, run.status);
        assertTrue(run.err.contains("--backend") && run.err.contains("gpu"), run.err);
    }

    @Test
    void missingModelDirectoryIsRejectedByName() {
        Run run = run("--model", temp.resolve("nowhere").toString());
        assertEquals(2, run.status);
        assertTrue(run.err.contains("--model") && run.err.contains("nowhere"), run.err);
    }

    @Test
    void generatesPrintsTheSummaryAndSaves() throws IOException {
        Assumptions.assumeTrue(
                EmbeddedModel.isAvailable(),
                "The embedded model is not packed yet: no resource " + EmbeddedModel.RESOURCE);
        Path saved = temp.resolve("saved");
        Run quantized =
                run(
                        "--max-new-tokens",
                        "8",
                        "--bits",
                        "4",
                        "--group-size",
                        "32",
                        "--save",
                        saved.toString());
        assertEquals(0, quantized.status, quantized.err);
        String out = quantized.out;
        assertTrue(out.contains("bits:           4"), out);
        assertTrue(out.contains("group size:     32"), out);
        assertTrue(out.contains("backend:        "), out);
        assertTrue(out.contains("quantized checkpoint saved"), out);
        assertTrue(out.contains("prefill:") && out.contains("decode:"), out);
        JsonObject config =
                JsonParser.parseString(Files.readString(saved.resolve("config.json")))
                        .getAsJsonObject();
        JsonObject quantization = config.getAsJsonObject("quantization");
        assertEquals(4, quantization.get("bits").getAsInt());
        assertEquals(32, quantization.get("group_size").getAsInt());

        // the float size the 4-bit run reports is the size of the float model
        Run plain = run("--max-new-tokens", "1", "--bits", "none");
        assertEquals(0, plain.status, plain.err);
        assertTrue(plain.out.contains("bits:           none"), plain.out);
        String[] floatRun = memory(plain.out);
        assertEquals(floatRun[0], floatRun[1], "a float model is its own float size");
        String[] quantRun = memory(out);
        assertEquals(floatRun[0], quantRun[1]);
        assertTrue(
                Double.parseDouble(quantRun[0].split(" ")[0])
                        < Double.parseDouble(quantRun[1].split(" ")[0]) / 3,
                out);
    }

    private static String[] memory(String out) {
        Matcher m =
                Pattern.compile("size in memory: ([0-9.]+ [kM]B) \\(float: ([0-9.]+ [kM]B)")
                        .matcher(out);
        assertTrue(m.find(), out);
        return new String[] {m.group(1), m.group(2)};
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.execute(o, e, args);
        }
        return new Run(
                status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The status and the output of one run. */
    private static final class Run {
        final int status;
        final String out;
        final String err;

        Run(int status, String out, String err) {
            this.status = status;
            this.out = out;
            this.err = err;
        }
    }
}
