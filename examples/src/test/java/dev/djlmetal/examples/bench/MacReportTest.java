package dev.djlmetal.examples.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MacReportTest {

    /** Run by the report in the tests below, never by Surefire (nested classes are excluded). */
    static class Probe {

        @Test
        void passes() {}

        @Test
        void fails() {
            assertEquals(1, 2, "a failure the report must quote");
        }

        @Test
        @Disabled("shown as skipped")
        void skipped() {}
    }

    private static JsonObject run(double loadSeconds, int decodeTokens, double decodeSeconds) {
        JsonObject r = new JsonObject();
        r.addProperty("loadSeconds", loadSeconds);
        r.addProperty("prefillTokens", 64);
        r.addProperty("prefillSeconds", 2.0);
        r.addProperty("decodeTokens", decodeTokens);
        r.addProperty("decodeSeconds", decodeSeconds);
        return r;
    }

    @Test
    void theBenchmarkTableComparesMetalWithCpu() {
        Map<DecodeConfiguration, Object> rows = new LinkedHashMap<>();
        rows.put(DecodeConfiguration.Q4_METAL, run(1.5, 16, 2.0));
        rows.put(DecodeConfiguration.Q4_CPU, run(3.0, 16, 4.0));
        String table = MacReport.benchmarkTable(rows);
        assertTrue(table.contains("| q4-metal | 1.5 | 32.0 | 8.00 | 2.00x |"), table);
        assertTrue(table.contains("| q4-cpu | 3.0 | 32.0 | 4.00 | 1.00x |"), table);

        rows.put(DecodeConfiguration.Q4_METAL, "not available: no Mac");
        table = MacReport.benchmarkTable(rows);
        assertTrue(table.contains("| q4-metal | not available: no Mac | | | |"), table);
    }

    @Test
    void theReportCountsTestsAndQuotesFailures(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("report.md");
        int exit =
                new CommandLine(new MacReport())
                        .execute(
                                "--test-classes=" + Probe.class.getName(),
                                "--skip-benchmark",
                                "--output=" + output);
        String report = Files.readString(output);
        assertEquals(1, exit, "a failing test makes the command fail: " + report);
        assertTrue(report.contains("| MacReportTest$Probe | 1 | 1 | 1 |"), report);
        assertTrue(report.contains("a failure the report must quote"), report);
        assertTrue(report.contains("### Machine"), report);
        assertTrue(report.contains("- JNA: "), report);
        assertTrue(report.contains("- `cpu`: available"), report);
    }

    @Test
    void theDeviceLayerTestsRunFromTheEngineTestJar(@TempDir Path dir) throws Exception {
        Assumptions.assumeFalse(
                System.getProperty("os.name", "").startsWith("Mac"),
                "on a Mac the full report is the real check");
        Path output = dir.resolve("report.md");
        int exit =
                new CommandLine(new MacReport())
                        .execute(
                                "--test-classes=dev.djlmetal.backend.metal.AffineQmmKernelsTest,"
                                        + "dev.djlmetal.backend.metal.objc.ObjcMetalDeviceTest",
                                "--skip-benchmark",
                                "--output=" + output);
        String report = Files.readString(output);
        assertEquals(0, exit, report);
        assertTrue(
                Pattern.compile("\\| AffineQmmKernelsTest \\| [1-9]\\d* \\| 0 \\| 0 \\|")
                        .matcher(report)
                        .find(),
                report);
        assertTrue(report.contains("- skipped `ObjcMetalDeviceTest`: "), report);
        assertTrue(report.contains("- `metal`: unavailable: "), report);
    }
}
