package dev.djlmetal.zoo.decoder;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The rotary position embedding settings of a Llama-family model: the base {@code rope_theta} and
 * the optional frequency scaling ({@code rope_scaling} in transformers 4, {@code rope_parameters}
 * in transformers 5).
 *
 * <p>Supported scaling types are {@code default} (no scaling), {@code linear} (positions divided by
 * {@code factor}) and {@code llama3} (Llama 3.1 frequency-dependent scaling). All of them keep the
 * attention scaling at 1.
 */
public final class RopeScaling {

    /** The supported {@code rope_type} values. */
    public static final List<String> SUPPORTED_TYPES = Arrays.asList("default", "linear", "llama3");

    private final double theta;
    private final String type;
    private final double factor;
    private final double lowFreqFactor;
    private final double highFreqFactor;
    private final double originalMaxPositionEmbeddings;

    private RopeScaling(
            double theta,
            String type,
            double factor,
            double lowFreqFactor,
            double highFreqFactor,
            double originalMaxPositionEmbeddings) {
        this.theta = theta;
        this.type = type;
        this.factor = factor;
        this.lowFreqFactor = lowFreqFactor;
        this.highFreqFactor = highFreqFactor;
        this.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings;
    }

    /**
     * Returns unscaled rotary settings.
     *
     * @param theta the base {@code rope_theta}
     * @return the settings
     */
    public static RopeScaling none(double theta) {
        return new RopeScaling(theta, "default", 1, 0, 0, 0);
    }

    /**
     * Returns linear scaling: position {@code p} is rotated as {@code p / factor}.
     *
     * @param theta the base {@code rope_theta}
     * @param factor the scaling factor, positive
     * @return the settings
     */
    public static RopeScaling linear(double theta, double factor) {
        checkPositive("factor", factor);
        return new RopeScaling(theta, "linear", factor, 0, 0, 0);
    }

    /**
     * Returns Llama 3 scaling.
     *
     * @param theta the base {@code rope_theta}
     * @param factor {@code factor}: the divisor of low frequencies
     * @param lowFreqFactor {@code low_freq_factor}
     * @param highFreqFactor {@code high_freq_factor}, larger than {@code lowFreqFactor}
     * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings}
     * @return the settings
     */
    public static RopeScaling llama3(
            double theta,
            double factor,
            double lowFreqFactor,
            double highFreqFactor,
            double originalMaxPositionEmbeddings) {
        checkPositive("factor", factor);
        checkPositive("low_freq_factor", lowFreqFactor);
        checkPositive("original_max_position_embeddings", originalMaxPositionEmbeddings);
        if (!(highFreqFactor > lowFreqFactor)) {
            throw new IllegalArgumentException(
                    "rope_scaling llama3 needs high_freq_factor > low_freq_factor, got "
                            + highFreqFactor
                            + " and "
                            + lowFreqFactor);
        }
        return new RopeScaling(
                theta,
                "llama3",
                factor,
                lowFreqFactor,
                highFreqFactor,
                originalMaxPositionEmbeddings);
    }

    private static void checkPositive(String name, double value) {
        if (!(value > 0)) {
            throw new IllegalArgumentException(
                    "rope_scaling " + name + " must be positive, got " + value);
        }
    }

    /**
     * Normalizes a {@code rope_type} / {@code type} value and checks that it is supported.
     *
     * @param value the value from config.json, may be null (means {@code default})
     * @return the lower-case type
     * @throws IllegalArgumentException naming the value and the supported types
     */
    static String checkType(String value) {
        String t = value == null ? "default" : value.toLowerCase(Locale.ROOT);
        if (!SUPPORTED_TYPES.contains(t)) {
            throw new IllegalArgumentException(
                    "Unsupported rope scaling type '" + value + "'; supported: " + SUPPORTED_TYPES);
        }
        return t;
    }

    /**
     * Returns the base of the rotary frequencies.
     *
     * @return {@code rope_theta}
     */
    public double getTheta() {
        return theta;
    }

    /**
     * Returns the scaling type.
     *
     * @return one of {@link #SUPPORTED_TYPES}
     */
    public String getType() {
        return type;
    }

    /**
     * Returns the scaling factor.
     *
     * @return the factor, 1 for {@code default}
     */
    public double getFactor() {
        return factor;
    }

    /**
     * Returns the Llama 3 {@code low_freq_factor}.
     *
     * @return the factor, 0 unless the type is {@code llama3}
     */
    public double getLowFreqFactor() {
        return lowFreqFactor;
    }

    /**
     * Returns the Llama 3 {@code high_freq_factor}.
     *
     * @return the factor, 0 unless the type is {@code llama3}
     */
    public double getHighFreqFactor() {
        return highFreqFactor;
    }

    /**
     * Returns the Llama 3 {@code original_max_position_embeddings}.
     *
     * @return the original context length, 0 unless the type is {@code llama3}
     */
    public double getOriginalMaxPositionEmbeddings() {
        return originalMaxPositionEmbeddings;
    }

    /**
     * Computes the inverse frequencies of the rotary embedding, scaled as configured.
     *
     * <p>{@code inv_freq[i] = theta^(-2i / headDim)} for {@code i < headDim / 2}; {@code linear}
     * divides every frequency by {@code factor}; {@code llama3} divides the low frequencies (wave
     * length above {@code original / low_freq_factor}) by {@code factor}, keeps the high ones (wave
     * length below {@code original / high_freq_factor}) and interpolates smoothly in between.
     *
     * @param headDim the head dimension (even)
     * @return {@code headDim / 2} inverse frequencies
     */
    public double[] inverseFrequencies(int headDim) {
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            double base = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            inv[i] = scale(base);
        }
        return inv;
    }

    private double scale(double invFreq) {
        switch (type) {
            case "linear":
                return invFreq / factor;
            case "llama3":
                double lowFreqWavelen = originalMaxPositionEmbeddings / lowFreqFactor;
                double highFreqWavelen = originalMaxPositionEmbeddings / highFreqFactor;
                double wavelen = 2 * Math.PI / invFreq;
                if (wavelen < highFreqWavelen) {
                    return invFreq;
                }
                if (wavelen > lowFreqWavelen) {
                    return invFreq / factor;
                }
                double smooth =
                        (originalMaxPositionEmbeddings / wavelen - lowFreqFactor)
                                / (highFreqFactor - lowFreqFactor);
                return (1 - smooth) * invFreq / factor + smooth * invFreq;
            default:
                return invFreq;
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "RopeScaling{theta=" + theta + ", type=" + type + ", factor=" + factor + '}';
    }
}
