package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.ndarray.NDArrayQuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;
import java.io.DataInputStream;
import java.io.DataOutputStream;

/**
 * A fully connected layer over an affine group-quantized weight: {@code y = x @ dequant(W)^T +
 * bias}, the quantized counterpart of {@link ai.djl.nn.core.Linear} with the same shapes ({@code
 * [..., K]} to {@code [..., N]}).
 *
 * <p>The product runs on a {@link QuantizedMatmul} backend; the backend prepares the weight on the
 * first forward, once, and {@link #close()} releases what it holds. The arrays are exposed as
 * frozen DJL parameters: {@code weight} (the packed INT32 codes, {@link Parameter.Type#WEIGHT}),
 * {@code scales} and {@code biases} ({@link Parameter.Type#OTHER}) and the optional additive {@code
 * bias} ({@link Parameter.Type#BIAS}). None of them takes a gradient: the block is for inference.
 *
 * <p>DJL's {@link #saveParameters(DataOutputStream)} format is not supported: quantized models are
 * saved as safetensors checkpoints (packed weight, scales and biases per module), which MLX and
 * transformers read too.
 */
public class MetalQuantizedLinear extends AbstractBlock implements AutoCloseable {

    private static final byte VERSION = 1;

    private final QuantizedTensor weight;
    private final NDArray bias;
    private final QuantizedMatmul backend;
    private final Parameter biasParameter;
    private final LazyPreparedWeight prepared;

    MetalQuantizedLinear(Builder builder) {
        super(VERSION);
        this.weight = builder.weight;
        this.bias = builder.bias;
        this.backend = builder.backend;
        addParameter(FrozenParameters.of("weight", Parameter.Type.WEIGHT, weight.packed()));
        addParameter(FrozenParameters.of("scales", Parameter.Type.OTHER, weight.scales()));
        addParameter(FrozenParameters.of("biases", Parameter.Type.OTHER, weight.biases()));
        biasParameter =
                bias == null
                        ? null
                        : addParameter(FrozenParameters.of("bias", Parameter.Type.BIAS, bias));
        prepared = new LazyPreparedWeight(backend, weight);
        // the arrays are given, so the block is initialized for inputs [..., K] from the start
        inputShapes = new Shape[] {new Shape(-1, weight.columns())};
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the quantized weight.
     *
     * @return the weight {@code [N, K]}, owned by this block
     */
    public QuantizedTensor getQuantizedWeight() {
        return weight;
    }

    /**
     * Returns the additive bias.
     *
     * @return the bias {@code [N]}, or null when the layer has none
     */
    public NDArray getBias() {
        return bias;
    }

    /**
     * Returns the number of input features K.
     *
     * @return K
     */
    public long getInFeatures() {
        return weight.columns();
    }

    /**
     * Returns the number of output features N.
     *
     * @return N
     */
    public long getOutFeatures() {
        return weight.rows();
    }

    /**
     * Returns the backend the product runs on.
     *
     * @return the backend
     */
    public QuantizedMatmul getBackend() {
        return backend;
    }

    /**
     * Returns the memory the backend holds for this layer beyond the quantized tensor (for example
     * a cached dequantized weight).
     *
     * @return bytes, 0 before the first forward
     */
    public long getBackendResidentBytes() {
        return prepared.extraResidentBytes();
    }

    /**
     * Returns the backend's handle of the weight, preparing it on first use: for the cpu backend a
     * {@link dev.djlmetal.backend.cpu.ArrayProduct}, which decoders that keep activations in Java
     * memory multiply with directly.
     *
     * @return the prepared weight
     */
    public PreparedWeight getPreparedWeight() {
        return prepared.get();
    }

    /**
     * Computes {@code x @ dequant(W)^T + bias}.
     *
     * @param x activations {@code [..., K]}, FLOAT32 or FLOAT16
     * @return {@code [..., N]} in the data type of {@code x}
     * @throws IllegalArgumentException when the last dimension of {@code x} is not K
     */
    public NDArray apply(NDArray x) {
        checkInput(x.getShape());
        NDArray y = prepared.get().apply(x);
        if (bias == null) {
            return y;
        }
        return addBias(y, bias);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        checkInput(x.getShape());
        NDArray y = prepared.get().apply(x);
        if (biasParameter != null) {
            y = addBias(y, parameterStore.getValue(biasParameter, x.getDevice(), training));
        }
        return new NDList(y);
    }

    private static NDArray addBias(NDArray y, NDArray b) {
        if (b.getDataType() == y.getDataType()) {
            return y.addi(b);
        }
        try (NDArray cast = b.toType(y.getDataType(), false)) {
            return y.addi(cast);
        }
    }

    private void checkInput(Shape shape) {
        long k = weight.columns();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != k) {
            throw new IllegalArgumentException(
                    "MetalQuantizedLinear expects input [..., "
                            + k
                            + "] (in_features="
                            + k
                            + "), got "
                            + shape);
        }
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        checkInput(inputShapes[0]);
        Shape in = inputShapes[0];
        return new Shape[] {in.slice(0, in.dimension() - 1).add(weight.rows())};
    }

    /**
     * Not supported: quantized layers are saved in safetensors checkpoints.
     *
     * @param os unused
     * @throws UnsupportedOperationException always
     */
    @Override
    public void saveParameters(DataOutputStream os) {
        throw new UnsupportedOperationException(unsupportedFormatMessage());
    }

    /**
     * Not supported: quantized layers are loaded from safetensors checkpoints.
     *
     * @param manager unused
     * @param is unused
     * @throws UnsupportedOperationException always
     */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is) {
        throw new UnsupportedOperationException(unsupportedFormatMessage());
    }

    static String unsupportedFormatMessage() {
        return "Quantized blocks do not support DJL's .params format: save the model as a"
                + " safetensors checkpoint (packed weight, scales and biases per module) with"
                + " dev.djlmetal.io.SafetensorsWriter and load it through the Metal engine";
    }

    /** Releases what the backend holds, then closes the quantized weight and the bias. */
    @Override
    public void clear() {
        prepared.close();
        super.clear();
    }

    /** Releases what the backend holds and closes the block's arrays; same as {@link #clear()}. */
    @Override
    public void close() {
        clear();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MetalQuantizedLinear(in_features="
                + getInFeatures()
                + ", out_features="
                + getOutFeatures()
                + ", bits="
                + weight.bits()
                + ", group_size="
                + weight.groupSize()
                + ", bias="
                + (bias != null)
                + ", backend="
                + backend.kind()
                + ')';
    }

    /** Builds a {@link MetalQuantizedLinear}. */
    public static final class Builder {

        private QuantizedTensor weight;
        private NDArray bias;
        private QuantizedMatmul backend;

        Builder() {}

        /**
         * Sets the quantized weight {@code [N, K]} (required); the block takes ownership of it.
         *
         * @param weight the weight
         * @return this builder
         */
        public Builder setWeight(QuantizedTensor weight) {
            this.weight = weight;
            return this;
        }

        /**
         * Sets the additive bias {@code [N]}; the block takes ownership of it.
         *
         * @param bias the bias, or null for none (the default)
         * @return this builder
         */
        public Builder optBias(NDArray bias) {
            this.bias = bias;
            return this;
        }

        /**
         * Sets the backend (default: the portable NDArray backend with default settings).
         *
         * @param backend the backend
         * @return this builder
         */
        public Builder optBackend(QuantizedMatmul backend) {
            this.backend = backend;
            return this;
        }

        /**
         * Builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException when the weight is missing or the bias shape is not
         *     {@code [N]}
         */
        public MetalQuantizedLinear build() {
            if (weight == null) {
                throw new IllegalArgumentException("MetalQuantizedLinear needs setWeight(...)");
            }
            weight.requireMatrix("MetalQuantizedLinear");
            if (bias != null) {
                if (!bias.getShape().equals(new Shape(weight.rows()))) {
                    throw new IllegalArgumentException(
                            "bias "
                                    + bias.getShape()
                                    + " does not match the weight "
                                    + weight.logicalShape()
                                    + ": expected ["
                                    + weight.rows()
                                    + "]");
                }
                if (!bias.getDataType().isFloating()) {
                    throw new IllegalArgumentException(
                            "bias data type " + bias.getDataType().name() + " is not a float type");
                }
            }
            if (backend == null) {
                backend = new NDArrayQuantizedMatmul(BackendSettings.defaults());
            }
            return new MetalQuantizedLinear(this);
        }
    }
}
