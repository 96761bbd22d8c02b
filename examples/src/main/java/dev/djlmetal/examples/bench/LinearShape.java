package dev.djlmetal.examples.bench;

import java.util.List;

/** The {@code [N, K]} weight shape of one linear layer. */
public final class LinearShape {

    /** The distinct linear layer shapes of Llama-3.2-1B (q/o, k/v, gate/up, down, lm_head). */
    public static final List<LinearShape> LLAMA_3_2_1B =
            List.of(
                    new LinearShape("q_proj/o_proj", 2048, 2048),
                    new LinearShape("k_proj/v_proj", 512, 2048),
                    new LinearShape("gate/up_proj", 8192, 2048),
                    new LinearShape("down_proj", 2048, 8192),
                    new LinearShape("lm_head", 128256, 2048));

    private final String name;
    private final int outFeatures;
    private final int inFeatures;

    /**
     * Creates a shape.
     *
     * @param name the layer name
     * @param outFeatures N
     * @param inFeatures K
     */
    public LinearShape(String name, int outFeatures, int inFeatures) {
        this.name = name;
        this.outFeatures = outFeatures;
        this.inFeatures = inFeatures;
    }

    /**
     * Parses {@code NxK}, as used by the JMH parameters.
     *
     * @param text for example {@code 2048x8192}
     * @return the shape
     * @throws IllegalArgumentException when the text is not two positive integers joined by {@code
     *     x}
     */
    public static LinearShape parse(String text) {
        String[] parts = text.split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException("Expected a shape NxK, got " + text);
        }
        return new LinearShape(text, Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
    }

    /**
     * Returns the layer name.
     *
     * @return the name
     */
    public String getName() {
        return name;
    }

    /**
     * Returns the number of output features.
     *
     * @return N
     */
    public int getOutFeatures() {
        return outFeatures;
    }

    /**
     * Returns the number of input features.
     *
     * @return K
     */
    public int getInFeatures() {
        return inFeatures;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return outFeatures + "x" + inFeatures;
    }
}
