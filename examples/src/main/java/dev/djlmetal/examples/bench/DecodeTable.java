package dev.djlmetal.examples.bench;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/** Prints the results of {@link DecodeBenchmark} as a Markdown table and checks the targets. */
final class DecodeTable {

    private static final double MB = 1e6;

    private final Map<String, JsonObject> results;
    private final double bandwidth;
    private final double multiplyAddPeak;

    DecodeTable(Map<String, JsonObject> results, double bandwidth, double multiplyAddPeak) {
        this.results = results;
        this.bandwidth = bandwidth;
        this.multiplyAddPeak = multiplyAddPeak;
    }

    void print(PrintStream out) {
        JsonObject base = results.get(DecodeConfiguration.FLOAT32.getFlagName());
        out.println(
                "| weights | decode path | weights read/token MB | load s | prefill tok/s | x"
                    + " float32 | decode tok/s | x float32 | bound tok/s | % of bound | decode CPU"
                    + " s/token | RSS before load MB | RSS after run MB | peak RSS MB | Java heap"
                    + " MB | (RSS after run - before) / weights | same without Java heap |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Map.Entry<String, JsonObject> e : results.entrySet()) {
            JsonObject r = e.getValue();
            out.printf(
                    Locale.ROOT,
                    "| %s | %s | %.0f | %.1f | %.1f | %s | %.2f | %s | %.2f | %.0f%% | %.3f | %.0f"
                            + " | %.0f | %.0f | %.0f | %.2f | %.2f |%n",
                    e.getKey(),
                    r.get("decodePath").getAsString(),
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
        printBatches(out);
        printTargets(out, base);
    }

    /**
     * The batched and long-context decodes: aggregate tokens/s of several sequences stepping
     * together, and one sequence at a long context. The weights are read once per step for all the
     * sequences, so the bandwidth bound of a batch is that many times the one-sequence bound; its
     * multiply-adds grow with the batch, so the compute bound (measured multiply-add peak /
     * multiply-adds per token) does not.
     */
    private void printBatches(PrintStream out) {
        boolean any = false;
        for (Map.Entry<String, JsonObject> e : results.entrySet()) {
            JsonObject r = e.getValue();
            JsonObject batches = r.getAsJsonObject("batchSeconds");
            if (batches == null || (batches.size() == 0 && !r.has("longContext"))) {
                continue;
            }
            if (!any) {
                out.println();
                out.println(
                        "| weights | sequences | context | aggregate decode tok/s | x one sequence"
                                + " | % of bandwidth bound | % of compute bound |");
                out.println("|---|---|---|---|---|---|---|");
                any = true;
            }
            double one = decode(r);
            for (Map.Entry<String, JsonElement> b : batches.entrySet()) {
                int sequences = Integer.parseInt(b.getKey());
                double tokensPerSecond =
                        sequences
                                * r.get("decodeTokens").getAsDouble()
                                / b.getValue().getAsDouble();
                out.printf(
                        Locale.ROOT,
                        "| %s | %d | short | %.2f | %s | %.0f%% | %.0f%% |%n",
                        e.getKey(),
                        sequences,
                        tokensPerSecond,
                        ratio(tokensPerSecond / one),
                        100 * tokensPerSecond / (sequences * bound(r)),
                        100 * tokensPerSecond / computeBound(r));
            }
            if (r.has("longContext")) {
                double tokensPerSecond = longContext(r);
                out.printf(
                        Locale.ROOT,
                        "| %s | 1 | %d | %.2f | %s | %.0f%% | %.0f%% |%n",
                        e.getKey(),
                        r.get("longContext").getAsInt(),
                        tokensPerSecond,
                        ratio(tokensPerSecond / one),
                        100 * tokensPerSecond / bound(r),
                        100 * tokensPerSecond / computeBound(r));
            }
        }
    }

    private void printTargets(PrintStream out, JsonObject base) {
        out.println();
        out.println("Targets of the CPU decode issue (ratios within this run):");
        for (String name : new String[] {"q4-cpu", "q8-cpu"}) {
            JsonObject r = results.get(name);
            if (r != null) {
                target(
                        out,
                        name + " decode >= 60% of the bandwidth bound",
                        decode(r) / bound(r),
                        0.6,
                        "");
            }
        }
        if (base != null) {
            for (String name : new String[] {"q3-cpu", "q5-cpu", "q6-cpu"}) {
                JsonObject r = results.get(name);
                if (r != null) {
                    target(out, name + " decode >= 2x float32", decode(r) / decode(base), 2, "x");
                }
            }
        }
        JsonObject q4 = results.get("q4-cpu");
        if (q4 == null) {
            return;
        }
        JsonObject batches = q4.getAsJsonObject("batchSeconds");
        if (batches != null && batches.has("8")) {
            double eight =
                    8 * q4.get("decodeTokens").getAsDouble() / batches.get("8").getAsDouble();
            target(
                    out,
                    "q4-cpu 8 sequences >= 4x one sequence (aggregate)",
                    eight / decode(q4),
                    4,
                    "x");
            out.printf(
                    Locale.ROOT,
                    "  (4x one sequence is %.0f%% of the compute bound of %.1f tok/s: %.1f G"
                            + " multiply-adds/s measured peak / %.0f M multiply-adds per token)%n",
                    100 * 4 * decode(q4) / computeBound(q4),
                    computeBound(q4),
                    multiplyAddPeak / 1e9,
                    q4.get("multiplyAdds").getAsDouble() / 1e6);
        }
        if (q4.has("longContext")) {
            target(
                    out,
                    "q4-cpu decode at a "
                            + q4.get("longContext").getAsInt()
                            + "-token context >= 0.7x short",
                    longContext(q4) / decode(q4),
                    0.7,
                    "x");
        }
        if (base != null) {
            target(out, "q4-cpu prefill >= 1x float32", prefill(q4) / prefill(base), 1, "x");
        }
        double resident = resident(q4) / weights(q4);
        out.printf(
                Locale.ROOT,
                "- q4-cpu resident <= 1.3x packed size: %.2fx (%s; resident = RSS after the run"
                    + " minus RSS before loading, packed = %.0f MB; without the committed Java heap"
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

    /** Tokens/s if every multiply-add of the weight matrices ran at the measured peak. */
    private double computeBound(JsonObject r) {
        return multiplyAddPeak / r.get("multiplyAdds").getAsDouble();
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

    private static double longContext(JsonObject r) {
        return r.get("longContextTokens").getAsDouble() / r.get("longContextSeconds").getAsDouble();
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
