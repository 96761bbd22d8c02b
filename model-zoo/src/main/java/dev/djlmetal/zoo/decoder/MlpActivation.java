package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.Locale;

/** The activation of a gated MLP's gate: {@code down(act(gate(x)) * up(x))}. */
public enum MlpActivation {
    /** {@code x * sigmoid(x)} ({@code silu}, {@code swish}): Llama, Mistral, Qwen, Phi-3. */
    SILU("silu") {
        @Override
        public NDArray apply(NDArray x) {
            return x.mul(Activation.sigmoid(x));
        }
    },
    /**
     * The tanh approximation of GELU, {@code 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))}
     * ({@code gelu_pytorch_tanh}): Gemma 2 and 3.
     */
    GELU_TANH("gelu_pytorch_tanh") {
        @Override
        public NDArray apply(NDArray x) {
            NDArray inner = x.mul(x).mul(x).mul(0.044715f).add(x).mul(SQRT_2_OVER_PI);
            return inner.tanh().add(1f).mul(x).mul(0.5f);
        }
    };

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    private final String configName;

    MlpActivation(String configName) {
        this.configName = configName;
    }

    /**
     * Applies the activation.
     *
     * @param x the gate's output
     * @return the activated gate, same shape and data type
     */
    public abstract NDArray apply(NDArray x);

    /**
     * Returns the name transformers gives the activation in {@code hidden_act}.
     *
     * @return for example {@code silu}
     */
    public String configName() {
        return configName;
    }

    /**
     * Reads a {@code hidden_act} / {@code hidden_activation} value.
     *
     * @param name the value ({@code swish} is read as {@code silu})
     * @return the activation
     * @throws IllegalArgumentException naming the value and the supported ones
     */
    public static MlpActivation fromConfigName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if ("swish".equals(n)) {
            return SILU;
        }
        for (MlpActivation a : values()) {
            if (a.configName.equals(n)) {
                return a;
            }
        }
        throw new IllegalArgumentException(
                "Unsupported activation '" + name + "'; supported: silu, gelu_pytorch_tanh");
    }
}
