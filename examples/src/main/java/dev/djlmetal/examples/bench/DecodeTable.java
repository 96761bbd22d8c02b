package dev.djlmetal.examples.bench;

import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/** Prints the results of {@link DecodeBenchmark} as a Markdown table and checks the targets. */
final class DecodeTable {

    private static final double MB = 1e6;

    private final Map<DecodeConfiguration, JsonObject> results;
    private final double bandwidth;

    DecodeTable(Map<DecodeConfiguration, JsonObject> results, double bandwidth) {
        this.results = results;
        this.bandwidth = bandwidth;
    }

    void print(PrintStream out) {
        JsonObject base = results.get(DecodeConfiguration.FLOAT32);
        out.println(
                "| weights | weights read/token MB | load s | prefill tok/s | x float32"
                        + " | decode tok/s | x float32 | bound tok/s | % of bound"
                        + " | decode CPU s/token | RSS before load MB | RSS after run MB"
                        + " | peak RSS MB | Java heap MB | (RSS after run - before) / weights"
                        + " | same without Java heap |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Map.Entry<DecodeConfiguration, JsonObject> e : results.entrySet()) {
            JsonObject r = e.getValue();
            out.printf(
                    Locale.ROOT,
                    "| %s | %.0f | %.1f | %.1f | %s | %.2f | %s | %.2f | %.0f%% | %.2f | %.0f"
                            + " | %.0f | %.0f | %.0f | %.2f | %.2f |%n",
                    e.getKey(),
                    weights(r) / MB,
                    r.get("loadSeconds").getAsDouble(),
                    prefill(r),
                    base == null ? "-" : ratio(prefill(r) / prefill(base)),
                    decode(r),
                    base == null ? "-" : ratio(decode(r) / decode(base)),
                    bound(r),
                    100 * decode(r) / bound(r),
                    cpuPerToken(r),
                    r.get("rssBeforeLoad").getAsDouble() / MB,
                    r.get("rssAfterRun").getAsDouble() / MB,
                    r.get("peakRss").getAsDouble() / MB,
                    heap(r) / MB,
                    resident(r) / weights(r),
                    (resident(r) - heap(r)) / weights(r));
        }
        JsonObject q4 = results.get(DecodeConfiguration.Q4_CPU);
        if (q4 == null) {
            return;
        }
        out.println();
        out.println(
                "Targets (issue 5), 4-bit group 64 on the cpu backend (wall-clock ratios; the"
                        + " CPU s/token column is less sensitive to other load on the machine):");
        if (base != null) {
            target(out, "decode >= 3x float32 tokens/s", decode(q4) / decode(base), 3, "x");
            out.printf(
                    Locale.ROOT,
                    "  (by CPU seconds per decoded token instead of wall clock: %.2fx)%n",
                    cpuPerToken(base) / cpuPerToken(q4));
            target(out, "prefill >= 0.5x float32 tokens/s", prefill(q4) / prefill(base), 0.5, "x");
        }
        target(out, "decode >= 60% of the bandwidth bound", decode(q4) / bound(q4), 0.6, "");
        double resident = resident(q4) / weights(q4);
        out.printf(
                Locale.ROOT,
                "- resident <= 1.3x packed size: %.2fx (%s; resident = RSS after the run minus RSS"
                        + " before loading, packed = %.0f MB; without the committed Java heap"
                        + " %.2fx; right after loading %.2fx; peak RSS %.0f MB = %.2fx)%n",
                resident,
                resident <= 1.3 ? "met" : "missed",
                weights(q4) / MB,
                (resident(q4) - heap(q4)) / weights(q4),
                (q4.get("rssAfterLoad").getAsDouble() - q4.get("rssBeforeLoad").getAsDouble())
                        / weights(q4),
                q4.get("peakRss").getAsDouble() / MB,
                (q4.get("peakRss").getAsDouble() - q4.get("rssBeforeLoad").getAsDouble())
                        / weights(q4));
    }

    private static void target(
            PrintStream out, String name, double measured, double wanted, String unit) {
        boolean percent = unit.isEmpty();
        String value =
                percent
                        ? String.format(Locale.ROOT, "%.0f%%", 100 * measured)
                        : String.format(Locale.ROOT, "%.2f%s", measured, unit);
        String missBy =
                measured >= wanted
                        ? "met"
                        : String.format(
                                Locale.ROOT,
                                "missed: %.0f%% of the target",
                                100 * measured / wanted);
        out.printf(Locale.ROOT, "- %s: %s (%s)%n", name, value, missBy);
    }

    private static String ratio(double value) {
        return String.format(Locale.ROOT, "%.2fx", value);
    }

    private static double weights(JsonObject r) {
        return r.get("weightBytes").getAsDouble();
    }

    private static double prefill(JsonObject r) {
        return r.get("prefillTokens").getAsDouble() / r.get("prefillSeconds").getAsDouble();
    }

    private static double decode(JsonObject r) {
        return r.get("decodeTokens").getAsDouble() / r.get("decodeSeconds").getAsDouble();
    }

    private double bound(JsonObject r) {
        return bandwidth / weights(r);
    }

    private static double cpuPerToken(JsonObject r) {
        return r.get("decodeCpuSeconds").getAsDouble() / r.get("decodeTokens").getAsDouble();
    }

    private static double heap(JsonObject r) {
        return r.get("javaHeapCommitted").getAsDouble();
    }

    private static double resident(JsonObject r) {
        return r.get("rssAfterRun").getAsDouble() - r.get("rssBeforeLoad").getAsDouble();
    }
}
