package dev.djlmetal.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.djlmetal.quant.QuantizationReport;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Set;

/**
 * The sizes of a loaded model: its parameters in memory, the float size they stand for, and the
 * safetensors files of a checkpoint directory.
 */
public final class ModelSizes {

    private ModelSizes() {}

    /**
     * Returns the bytes of the distinct parameter arrays of a block tree (an array shared by two
     * blocks, such as tied embeddings, counts once). Quantized layers contribute their packed
     * codes, scales and biases.
     *
     * @param root the block tree
     * @return bytes in memory
     */
    public static long parameterBytes(Block root) {
        Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (Pair<String, Parameter> p : root.getParameters()) {
            Parameter parameter = p.getValue();
            if (!parameter.isInitialized()) {
                continue;
            }
            NDArray array = parameter.getArray();
            if (seen.add(array)) {
                bytes += array.size() * array.getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    /**
     * Returns the bytes the model would take with every converted layer in float: the measured
     * bytes, less the quantized weights, plus their float size.
     *
     * @param measured the bytes of the loaded (quantized) model
     * @param report what was quantized, or {@code null} when nothing was
     * @return bytes in float
     */
    public static long floatBytes(long measured, QuantizationReport report) {
        if (report == null) {
            return measured;
        }
        return measured - report.getBytesAfter() + report.getBytesBefore();
    }

    /**
     * Returns the total size of the safetensors files of a checkpoint directory.
     *
     * @param dir the directory
     * @return bytes on disk
     * @throws IOException when the directory cannot be listed
     */
    public static long safetensorsBytes(Path dir) throws IOException {
        long bytes = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path file : files) {
                bytes += Files.size(file);
            }
        }
        return bytes;
    }

    /**
     * Formats a byte count in megabytes (10^6 bytes) or kilobytes.
     *
     * @param bytes the count
     * @return for example {@code 3.68 MB}
     */
    public static String format(long bytes) {
        if (bytes >= 1_000_000) {
            return String.format(Locale.ROOT, "%.2f MB", bytes / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
    }
}
