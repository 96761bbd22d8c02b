package dev.djlmetal.zoo.decoder;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The rotary position embedding settings of a decoder (or of one kind of its layers): the base
 * {@code rope_theta} and the optional frequency scaling ({@code rope_scaling} in transformers 4,
 * {@code rope_parameters} in transformers 5).
 *
 * <p>Supported scaling types are {@code default} (no scaling), {@code linear} (positions divided by
 * {@code factor}), {@code llama3} (Llama 3.1 frequency-dependent scaling) and {@code longrope}
 * (Phi-3's LongRoPE, called {@code su} in early configs): per-frequency {@code short_factor}s while
 * the positions of a forward pass stay within {@code original_max_position_embeddings}, {@code
 * long_factor}s beyond, and cosines and sines multiplied by an attention factor. Only {@code
 * longrope} has an attention factor other than 1.
 */
public final class RopeScaling {

    /** The supported {@code rope_type} values ({@code su} is read as {@code longrope}). */
    public static final List<String> SUPPORTED_TYPES =
            Arrays.asList("default", "linear", "llama3", "longrope");

    private final double theta;
    private final String type;
    private final double factor;
    private final double lowFreqFactor;
    private final double highFreqFactor;
    private final double originalMaxPositionEmbeddings;
    private final double[] shortFactor;
    private final double[] longFactor;
    private final double attentionFactor;

    private RopeScaling(
            double theta,
            String type,
            double factor,
            double lowFreqFactor,
            double highFreqFactor,
            double originalMaxPositionEmbeddings) {
        this(
                theta,
                type,
                factor,
                lowFreqFactor,
                highFreqFactor,
                originalMaxPositionEmbeddings,
                null,
                null,
                1);
    }

    private RopeScaling(
            double theta,
            String type,
            double factor,
            double lowFreqFactor,
            double highFreqFactor,
            double originalMaxPositionEmbeddings,
            double[] shortFactor,
            double[] longFactor,
            double attentionFactor) {
        if (!(theta > 0)) {
            throw new IllegalArgumentException("rope_theta must be positive, got " + theta);
        }
        this.theta = theta;
        this.type = type;
        this.factor = factor;
        this.lowFreqFactor = lowFreqFactor;
        this.highFreqFactor = highFreqFactor;
        this.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings;
        this.shortFactor = shortFactor;
        this.longFactor = longFactor;
        this.attentionFactor = attentionFactor;
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

    /**
     * Returns LongRoPE scaling (Phi-3, Phi-3.5, Phi-4-mini).
     *
     * <p>The attention factor, when the config gives none, is {@code sqrt(1 + ln(f) /
     * ln(original))} with {@code f = factor} or, without one, {@code max_position_embeddings /
     * original} (1 when {@code f <= 1}), as transformers computes it.
     *
     * @param theta the base {@code rope_theta}
     * @param shortFactor {@code short_factor}: one divisor per frequency, for short contexts
     * @param longFactor {@code long_factor}: one divisor per frequency, beyond {@code original}
     * @param originalMaxPositionEmbeddings {@code original_max_position_embeddings}
     * @param attentionFactor {@code attention_factor}, or NaN to derive it
     * @param factor {@code factor}, or NaN to use {@code maxPositionEmbeddings / original}
     * @param maxPositionEmbeddings {@code max_position_embeddings}
     * @return the settings
     */
    public static RopeScaling longrope(
            double theta,
            double[] shortFactor,
            double[] longFactor,
            double originalMaxPositionEmbeddings,
            double attentionFactor,
            double factor,
            double maxPositionEmbeddings) {
        checkPositive("original_max_position_embeddings", originalMaxPositionEmbeddings);
        if (shortFactor.length != longFactor.length || shortFactor.length == 0) {
            throw new IllegalArgumentException(
                    "rope_scaling longrope needs short_factor and long_factor of one length, got "
                            + shortFactor.length
                            + " and "
                            + longFactor.length);
        }
        for (double[] list : new double[][] {shortFactor, longFactor}) {
            for (double f : list) {
                checkPositive("short_factor/long_factor entry", f);
            }
        }
        double f =
                Double.isNaN(factor)
                        ? maxPositionEmbeddings / originalMaxPositionEmbeddings
                        : factor;
        double attention = attentionFactor;
        if (Double.isNaN(attention)) {
            attention =
                    f <= 1
                            ? 1
                            : Math.sqrt(1 + Math.log(f) / Math.log(originalMaxPositionEmbeddings));
        }
        return new RopeScaling(
                theta,
                "longrope",
                f,
                0,
                0,
                originalMaxPositionEmbeddings,
                shortFactor.clone(),
                longFactor.clone(),
                attention);
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
    public static String checkType(String value) {
        String t = value == null ? "default" : value.toLowerCase(Locale.ROOT);
        if ("su".equals(t)) {
            t = "longrope";
        }
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
     * Returns the {@code original_max_position_embeddings} of {@code llama3} and {@code longrope}.
     *
     * @return the original context length, 0 for the other types
     */
    public double getOriginalMaxPositionEmbeddings() {
        return originalMaxPositionEmbeddings;
    }

    /**
     * Returns the factor the cosines and sines are multiplied by.
     *
     * @return the LongRoPE attention factor, 1 for the other types
     */
    public double getAttentionFactor() {
        return attentionFactor;
    }

    /**
     * Returns whether a forward pass whose largest position is {@code maxPosition} uses the long
     * factors: true for {@code longrope} when {@code maxPosition + 1 > original}, as transformers
     * decides once per forward pass (keys cached earlier keep their rotation).
     *
     * @param maxPosition the largest position of the pass
     * @return true to use {@link #longInverseFrequencies(int)}
     */
    public boolean usesLongFactors(long maxPosition) {
        return longFactor != null && maxPosition + 1 > originalMaxPositionEmbeddings;
    }

    /**
     * Returns the LongRoPE inverse frequencies for long contexts.
     *
     * @param dim the rotated width (even), twice the number of factors
     * @return {@code dim / 2} inverse frequencies
     * @throws IllegalStateException when the type is not {@code longrope}
     */
    public double[] longInverseFrequencies(int dim) {
        if (longFactor == null) {
            throw new IllegalStateException("Only longrope has long factors, not " + type);
        }
        return divided(dim, longFactor);
    }

    private double[] divided(int dim, double[] factors) {
        if (factors.length != dim / 2) {
            throw new IllegalArgumentException(
                    "rope_scaling longrope has "
                            + factors.length
                            + " factors, but the rotated width "
                            + dim
                            + " has "
                            + dim / 2
                            + " frequencies");
        }
        double[] inv = new double[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / (factors[i] * Math.pow(theta, (2.0 * i) / dim));
        }
        return inv;
    }

    /**
     * Computes the inverse frequencies of the rotary embedding, scaled as configured.
     *
     * <p>{@code inv_freq[i] = theta^(-2i / headDim)} for {@code i < headDim / 2}; {@code linear}
     * divides every frequency by {@code factor}; {@code llama3} divides the low frequencies (wave
     * length above {@code original / low_freq_factor}) by {@code factor}, keeps the high ones (wave
     * length below {@code original / high_freq_factor}) and interpolates smoothly in between;
     * {@code longrope} divides each frequency by its {@code short_factor} (see {@link
     * #longInverseFrequencies(int)} for the long ones).
     *
     * @param headDim the rotated width (even): the head dimension, or its rotated part
     * @return {@code headDim / 2} inverse frequencies
     */
    public double[] inverseFrequencies(int headDim) {
        if (shortFactor != null) {
            return divided(headDim, shortFactor);
        }
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

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RopeScaling)) {
            return false;
        }
        RopeScaling r = (RopeScaling) o;
        return Double.compare(theta, r.theta) == 0
                && type.equals(r.type)
                && Double.compare(factor, r.factor) == 0
                && Double.compare(lowFreqFactor, r.lowFreqFactor) == 0
                && Double.compare(highFreqFactor, r.highFreqFactor) == 0
                && Double.compare(originalMaxPositionEmbeddings, r.originalMaxPositionEmbeddings)
                        == 0
                && Arrays.equals(shortFactor, r.shortFactor)
                && Arrays.equals(longFactor, r.longFactor)
                && Double.compare(attentionFactor, r.attentionFactor) == 0;
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Objects.hash(theta, type, factor, originalMaxPositionEmbeddings)
                + 31 * Arrays.hashCode(longFactor);
    }
}
