package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.ndarray.NDArrayQuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;
import java.io.DataInputStream;
import java.io.DataOutputStream;

/**
 * The quantized counterpart of {@link SwitchLinear}: {@code E} experts stored as one stacked
 * quantized tensor ({@code [E, N, K * bits / 32]} codes, {@code [E, N, K / groupSize]} scales and
 * biases, as MLX's {@code QuantizedSwitchLinear}), with the same input and output.
 *
 * <p>Each expert is an ordinary quantized matrix to the backend: the first time a row is routed to
 * expert {@code e}, a view of matrix {@code e} of the stack is prepared once, and every later
 * product with that expert reuses it. A run of rows routed to one expert is one backend product, so
 * nothing is dequantized for the experts a token does not use, on every backend, without a kernel
 * of its own.
 *
 * <p>Parameters, all frozen: {@code weight} (packed INT32 codes), {@code scales} and {@code
 * biases}. DJL's {@code .params} format is not supported (see {@link MetalQuantizedLinear}).
 */
public class MetalQuantizedSwitchLinear extends AbstractBlock implements AutoCloseable {

    private static final byte VERSION = 1;

    private final QuantizedTensor weight;
    private final QuantizedMatmul backend;
    private final ExpertSlot[] slots;

    MetalQuantizedSwitchLinear(Builder builder) {
        super(VERSION);
        this.weight = builder.weight;
        this.backend = builder.backend;
        addParameter(FrozenParameters.of("weight", Parameter.Type.WEIGHT, weight.packed()));
        addParameter(FrozenParameters.of("scales", Parameter.Type.OTHER, weight.scales()));
        addParameter(FrozenParameters.of("biases", Parameter.Type.OTHER, weight.biases()));
        slots = new ExpertSlot[Math.toIntExact(weight.stackSize())];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new ExpertSlot(i);
        }
        inputShapes = new Shape[] {new Shape(-1, weight.columns()), new Shape(-1)};
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
     * Returns the stacked quantized weight.
     *
     * @return the weight {@code [E, N, K]}, owned by this block
     */
    public QuantizedTensor getQuantizedWeight() {
        return weight;
    }

    /**
     * Returns the number of experts.
     *
     * @return E
     */
    public int getExpertCount() {
        return slots.length;
    }

    /**
     * Returns the input features of each expert.
     *
     * @return K
     */
    public long getInFeatures() {
        return weight.columns();
    }

    /**
     * Returns the output features of each expert.
     *
     * @return N
     */
    public long getOutFeatures() {
        return weight.rows();
    }

    /**
     * Returns the backend the products run on.
     *
     * @return the backend
     */
    public QuantizedMatmul getBackend() {
        return backend;
    }

    /**
     * Returns the number of experts prepared by the backend so far (those that received rows).
     *
     * @return a count in {@code [0, E]}
     */
    public int getPreparedExpertCount() {
        int count = 0;
        for (ExpertSlot slot : slots) {
            count += slot.isPrepared() ? 1 : 0;
        }
        return count;
    }

    /**
     * Returns the memory the backend holds for the prepared experts beyond the quantized tensor.
     *
     * @return bytes
     */
    public long getBackendResidentBytes() {
        long bytes = 0;
        for (ExpertSlot slot : slots) {
            bytes += slot.extraResidentBytes();
        }
        return bytes;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        NDArray y =
                ExpertRuns.apply(
                        "MetalQuantizedSwitchLinear",
                        inputs,
                        slots.length,
                        weight.columns(),
                        weight.rows(),
                        (expert, rows) -> slots[expert].prepared().get().apply(rows));
        return new NDList(y);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), weight.rows())};
    }

    /**
     * Not supported: quantized layers are saved in safetensors checkpoints.
     *
     * @param os unused
     * @throws UnsupportedOperationException always
     */
    @Override
    public void saveParameters(DataOutputStream os) {
        throw new UnsupportedOperationException(MetalQuantizedLinear.unsupportedFormatMessage());
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
        throw new UnsupportedOperationException(MetalQuantizedLinear.unsupportedFormatMessage());
    }

    /** Releases what the backend holds for every expert, then closes the stacked weight. */
    @Override
    public void clear() {
        for (ExpertSlot slot : slots) {
            slot.close();
        }
        super.clear();
    }

    /** Same as {@link #clear()}. */
    @Override
    public void close() {
        clear();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MetalQuantizedSwitchLinear(experts="
                + slots.length
                + ", in_features="
                + getInFeatures()
                + ", out_features="
                + getOutFeatures()
                + ", bits="
                + weight.bits()
                + ", group_size="
                + weight.groupSize()
                + ", backend="
                + backend.kind()
                + ')';
    }

    /** One expert: its view of the stack and its prepared weight, both made on first use. */
    private final class ExpertSlot implements AutoCloseable {

        private final int index;
        private volatile LazyPreparedWeight prepared;
        private QuantizedTensor view;
        private boolean closed;

        ExpertSlot(int index) {
            this.index = index;
        }

        LazyPreparedWeight prepared() {
            LazyPreparedWeight p = prepared;
            if (p != null) {
                return p;
            }
            synchronized (this) {
                if (closed) {
                    throw new IllegalStateException(
                            "The quantized experts over " + weight + " are closed");
                }
                if (prepared == null) {
                    view = weight.slice(index);
                    // made during a forward pass: keep the views out of the caller's NDScope
                    NDScope.unregister(view.packed(), view.scales(), view.biases());
                    prepared = new LazyPreparedWeight(backend, view);
                }
                return prepared;
            }
        }

        boolean isPrepared() {
            return prepared != null;
        }

        long extraResidentBytes() {
            LazyPreparedWeight p = prepared;
            return p == null ? 0 : p.extraResidentBytes();
        }

        @Override
        public synchronized void close() {
            closed = true;
            if (prepared != null) {
                prepared.close();
                prepared = null;
            }
            if (view != null) {
                view.close();
                view = null;
            }
        }
    }

    /** Builds a {@link MetalQuantizedSwitchLinear}. */
    public static final class Builder {

        private QuantizedTensor weight;
        private QuantizedMatmul backend;

        Builder() {}

        /**
         * Sets the stacked quantized weight {@code [E, N, K]} (required); the block takes ownership
         * of it.
         *
         * @param weight the weight
         * @return this builder
         */
        public Builder setWeight(QuantizedTensor weight) {
            this.weight = weight;
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
         * @throws IllegalArgumentException when the weight is missing or is a single matrix
         */
        public MetalQuantizedSwitchLinear build() {
            if (weight == null) {
                throw new IllegalArgumentException(
                        "MetalQuantizedSwitchLinear needs setWeight(...)");
            }
            if (!weight.isStacked()) {
                throw new IllegalArgumentException(
                        "MetalQuantizedSwitchLinear needs a stack of expert matrices [E, N, K],"
                                + " got "
                                + weight
                                + "; use MetalQuantizedLinear for one matrix");
            }
            if (backend == null) {
                backend = new NDArrayQuantizedMatmul(BackendSettings.defaults());
            }
            return new MetalQuantizedSwitchLinear(this);
        }
    }
}
