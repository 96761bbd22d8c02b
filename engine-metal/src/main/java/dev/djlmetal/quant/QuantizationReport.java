package dev.djlmetal.quant;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What {@link MetalQuantizer} did to a block tree: the layers it converted (with their storage
 * before and after) and the layers it left in float, each with the reason.
 *
 * <p>Byte counts cover the weight matrices only: a layer's float weight {@code N * K *
 * bytes(dtype)} before (for a pre-quantized layer whose float weight was never loaded, the float
 * size in the data type of its scales) and {@link QuantizedTensor#byteSize()} after. Additive
 * biases are unchanged and not counted.
 */
public final class QuantizationReport {

    private final List<ConvertedLayer> converted;
    private final List<SkippedLayer> skipped;

    QuantizationReport(List<ConvertedLayer> converted, List<SkippedLayer> skipped) {
        this.converted = Collections.unmodifiableList(new ArrayList<>(converted));
        this.skipped = Collections.unmodifiableList(new ArrayList<>(skipped));
    }

    /**
     * Returns the converted layers in tree order.
     *
     * @return an unmodifiable list
     */
    public List<ConvertedLayer> getConverted() {
        return converted;
    }

    /**
     * Returns the layers left in float, in tree order.
     *
     * @return an unmodifiable list
     */
    public List<SkippedLayer> getSkipped() {
        return skipped;
    }

    /**
     * Returns the paths of the converted layers.
     *
     * @return the paths in tree order
     */
    public List<String> getConvertedPaths() {
        return converted.stream().map(ConvertedLayer::getPath).collect(Collectors.toList());
    }

    /**
     * Returns the paths of the skipped layers.
     *
     * @return the paths in tree order
     */
    public List<String> getSkippedPaths() {
        return skipped.stream().map(SkippedLayer::getPath).collect(Collectors.toList());
    }

    /**
     * Returns the float size of the converted weights.
     *
     * @return bytes before conversion
     */
    public long getBytesBefore() {
        return converted.stream().mapToLong(ConvertedLayer::getBytesBefore).sum();
    }

    /**
     * Returns the quantized size of the converted weights.
     *
     * @return bytes after conversion
     */
    public long getBytesAfter() {
        return converted.stream().mapToLong(ConvertedLayer::getBytesAfter).sum();
    }

    /**
     * Returns a table of converted and skipped layers and the totals.
     *
     * @return a multi-line, human-readable report
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        int width = "module".length();
        for (ConvertedLayer c : converted) {
            width = Math.max(width, c.path.length());
        }
        for (SkippedLayer s : skipped) {
            width = Math.max(width, s.path.length());
        }
        String row = "%-" + width + "s  %-9s  %4s  %5s  %-14s  %12s  %12s%n";
        sb.append(String.format(Locale.ROOT, "Quantized layers: %d%n", converted.size()));
        sb.append(
                String.format(
                        Locale.ROOT,
                        row,
                        "module",
                        "kind",
                        "bits",
                        "group",
                        "shape",
                        "bytes before",
                        "bytes after"));
        for (ConvertedLayer c : converted) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            row,
                            c.path,
                            c.kind,
                            c.bits,
                            c.groupSize,
                            c.shape,
                            c.bytesBefore,
                            c.bytesAfter));
        }
        sb.append(
                String.format(
                        Locale.ROOT,
                        row,
                        "total",
                        "",
                        "",
                        "",
                        "",
                        getBytesBefore(),
                        getBytesAfter()));
        sb.append(String.format(Locale.ROOT, "Layers kept in float: %d%n", skipped.size()));
        for (SkippedLayer s : skipped) {
            sb.append(String.format(Locale.ROOT, "%-" + width + "s  %s%n", s.path, s.reason));
        }
        return sb.toString();
    }

    /** One layer replaced by a quantized block. */
    public static final class ConvertedLayer {

        private final String path;
        private final String kind;
        private final int bits;
        private final int groupSize;
        private final Shape shape;
        private final long bytesBefore;
        private final long bytesAfter;
        private final boolean preQuantized;

        ConvertedLayer(
                String path,
                String kind,
                QuantizedTensor tensor,
                long bytesBefore,
                boolean preQuantized) {
            this.path = path;
            this.kind = kind;
            this.bits = tensor.bits();
            this.groupSize = tensor.groupSize();
            this.shape = tensor.logicalShape();
            this.bytesBefore = bytesBefore;
            this.bytesAfter = tensor.byteSize();
            this.preQuantized = preQuantized;
        }

        /**
         * Returns the module path.
         *
         * @return the dotted path
         */
        public String getPath() {
            return path;
        }

        /**
         * Returns what kind of layer this was.
         *
         * @return {@code linear} or {@code embedding}
         */
        public String getKind() {
            return kind;
        }

        /**
         * Returns the code width.
         *
         * @return bits
         */
        public int getBits() {
            return bits;
        }

        /**
         * Returns the group size.
         *
         * @return the group size
         */
        public int getGroupSize() {
            return groupSize;
        }

        /**
         * Returns the logical weight shape.
         *
         * @return {@code [N, K]} (or {@code [V, D]} for an embedding)
         */
        public Shape getShape() {
            return shape;
        }

        /**
         * Returns the float weight size.
         *
         * @return bytes before conversion
         */
        public long getBytesBefore() {
            return bytesBefore;
        }

        /**
         * Returns the quantized weight size (packed codes, scales and biases).
         *
         * @return bytes after conversion
         */
        public long getBytesAfter() {
            return bytesAfter;
        }

        /**
         * Returns whether the quantized weight came from a {@link QuantizedWeightSource}.
         *
         * @return true when pre-quantized, false when quantized on the fly
         */
        public boolean isPreQuantized() {
            return preQuantized;
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return path + ": " + kind + ' ' + shape + " -> " + bits + "-bit, group " + groupSize;
        }
    }

    /** One layer left in float, with the reason. */
    public static final class SkippedLayer {

        private final String path;
        private final String reason;

        SkippedLayer(String path, String reason) {
            this.path = path;
            this.reason = reason;
        }

        /**
         * Returns the module path.
         *
         * @return the dotted path
         */
        public String getPath() {
            return path;
        }

        /**
         * Returns why the layer stays in float.
         *
         * @return the reason
         */
        public String getReason() {
            return reason;
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return path + ": " + reason;
        }
    }
}
