package dev.djlmetal.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The resident memory of this process from {@code /proc/self/status} (Linux): the current resident
 * set ({@code VmRSS}) and its peak ({@code VmHWM}). Elsewhere both read as -1.
 */
public final class ProcessMemory {

    private static final Path STATUS = Paths.get("/proc/self/status");

    private ProcessMemory() {}

    /**
     * Returns the current resident set size.
     *
     * @return bytes, or -1 when {@code /proc/self/status} is not readable
     */
    public static long residentBytes() {
        return read("VmRSS:");
    }

    /**
     * Returns the peak resident set size of this process so far.
     *
     * @return bytes, or -1 when {@code /proc/self/status} is not readable
     */
    public static long peakResidentBytes() {
        return read("VmHWM:");
    }

    private static long read(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) {
                    String[] parts = line.substring(key.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
