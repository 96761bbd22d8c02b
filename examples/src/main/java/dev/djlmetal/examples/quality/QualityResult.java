package dev.djlmetal.examples.quality;

/** The quality of one quantization setting on held-out text. */
public final class QualityResult {

    private final int bits;
    private final int groupSize;
    private final double perplexity;
    private final double agreement;
    private final int convertedLayers;
    private final int predictions;

    /**
     * Creates a result.
     *
     * @param bits the bits per weight, 0 for float32
     * @param groupSize the group size, 0 for float32
     * @param perplexity the perplexity of the held-out text
     * @param agreement the fraction of positions whose most likely next token equals float32's
     * @param convertedLayers the layers that were quantized
     * @param predictions the next-token predictions scored
     */
    public QualityResult(
            int bits,
            int groupSize,
            double perplexity,
            double agreement,
            int convertedLayers,
            int predictions) {
        this.bits = bits;
        this.groupSize = groupSize;
        this.perplexity = perplexity;
        this.agreement = agreement;
        this.convertedLayers = convertedLayers;
        this.predictions = predictions;
    }

    /**
     * Returns the bits per weight.
     *
     * @return 2..8, or 0 for float32
     */
    public int getBits() {
        return bits;
    }

    /**
     * Returns the group size.
     *
     * @return 32, 64 or 128, or 0 for float32
     */
    public int getGroupSize() {
        return groupSize;
    }

    /**
     * Returns the perplexity: {@code exp} of the mean negative log-likelihood of each next token.
     *
     * @return the perplexity
     */
    public double getPerplexity() {
        return perplexity;
    }

    /**
     * Returns the top-1 agreement with float32.
     *
     * @return a fraction in [0, 1]
     */
    public double getAgreement() {
        return agreement;
    }

    /**
     * Returns how many layers were quantized.
     *
     * @return the count (0 for float32)
     */
    public int getConvertedLayers() {
        return convertedLayers;
    }

    /**
     * Returns how many next-token predictions were scored.
     *
     * @return the count
     */
    public int getPredictions() {
        return predictions;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return (bits == 0 ? "float32" : bits + "-bit g" + groupSize)
                + ": perplexity "
                + perplexity
                + ", agreement "
                + agreement;
    }
}
