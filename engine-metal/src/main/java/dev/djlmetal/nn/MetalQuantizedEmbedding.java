package dev.djlmetal.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.PreparedWeight;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.ndarray.NDArrayQuantizedMatmul;
import dev.djlmetal.quant.AffineQuantizer;
import dev.djlmetal.quant.QuantizedTensor;
import java.io.DataInputStream;
import java.io.DataOutputStream;

/**
 * An embedding table {@code E[V, D]} stored affine group-quantized.
 *
 * <p>A lookup gathers the packed codes, scales and biases of the requested rows first and
 * dequantizes only those rows, so its memory is proportional to the number of tokens, not to {@code
 * V * D}. The output has the data type of the scales. {@link #projectTransposed(NDArray)}
 * multiplies by the transposed table through the backend, for models whose output projection is
 * tied to the embedding (MLX's {@code as_linear}).
 *
 * <p>Parameters, all frozen: {@code weight} (packed INT32 codes, {@link Parameter.Type#WEIGHT}),
 * {@code scales} and {@code biases} ({@link Parameter.Type#OTHER}). As for {@link
 * MetalQuantizedLinear}, DJL's {@code .params} format is not supported.
 */
public class MetalQuantizedEmbedding extends AbstractBlock
        implements TokenEmbedding, AutoCloseable {

    private static final byte VERSION = 1;

    private final QuantizedTensor table;
    private final QuantizedMatmul backend;
    private final LazyPreparedWeight prepared;

    MetalQuantizedEmbedding(Builder builder) {
        super(VERSION);
        this.table = builder.table;
        this.backend = builder.backend;
        addParameter(FrozenParameters.of("weight", Parameter.Type.WEIGHT, table.packed()));
        addParameter(FrozenParameters.of("scales", Parameter.Type.OTHER, table.scales()));
        addParameter(FrozenParameters.of("biases", Parameter.Type.OTHER, table.biases()));
        prepared = new LazyPreparedWeight(backend, table);
        // the table is given, so the block is initialized for ids of any shape from the start
        inputShapes = new Shape[] {new Shape(-1)};
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
     * Returns the quantized table.
     *
     * @return the table {@code [V, D]}, owned by this block
     */
    public QuantizedTensor getQuantizedWeight() {
        return table;
    }

    /**
     * Returns the vocabulary size V.
     *
     * @return V
     */
    public long getNumEmbeddings() {
        return table.rows();
    }

    /**
     * Returns the embedding size D.
     *
     * @return D
     */
    public long getEmbeddingSize() {
        return table.columns();
    }

    /**
     * Returns the backend's handle of the table used by {@link #projectTransposed(NDArray)},
     * preparing it on first use (for the cpu backend, a {@link
     * dev.djlmetal.backend.cpu.ArrayProduct}).
     *
     * @return the prepared table
     */
    public PreparedWeight getPreparedWeight() {
        return prepared.get();
    }

    /**
     * Returns the backend used by {@link #projectTransposed(NDArray)}.
     *
     * @return the backend
     */
    public QuantizedMatmul getBackend() {
        return backend;
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return new NDList(embed(inputs.singletonOrThrow()));
    }

    /**
     * Looks up token ids, dequantizing only the rows they select.
     *
     * @param ids INT32 or INT64 token ids of any shape {@code [...]}, each in {@code [0, V)}
     * @return {@code [..., D]} in the data type of the scales, attached to the manager of the ids
     * @throws IllegalArgumentException when the ids are not integers or fall outside {@code [0, V)}
     */
    @Override
    public NDArray embed(NDArray ids) {
        DataType type = ids.getDataType();
        if (type != DataType.INT32 && type != DataType.INT64) {
            throw new IllegalArgumentException(
                    "Token ids must be INT32 or INT64, got " + type.name() + " " + ids.getShape());
        }
        Shape outShape = ids.getShape().add(table.columns());
        NDManager manager = ids.getManager();
        if (ids.size() == 0) {
            return manager.zeros(outShape, table.scales().getDataType(), ids.getDevice());
        }
        try (NDScope scope = new NDScope()) {
            NDArray flat = ids.toType(DataType.INT64, true).reshape(-1);
            checkRange(flat);
            NDArray rows = flat.toDevice(table.packed().getDevice(), false);
            NDIndex index = new NDIndex("{}", rows);
            QuantizedTensor selected =
                    new QuantizedTensor(
                            table.packed().get(index),
                            table.scales().get(index),
                            table.biases().get(index),
                            table.bits(),
                            table.groupSize());
            NDArray out = AffineQuantizer.dequantize(selected).reshape(outShape);
            out = out.toDevice(ids.getDevice(), false);
            out.attach(manager);
            NDScope.unregister(out);
            scope.suppressNotUsedWarning();
            return out;
        }
    }

    private void checkRange(NDArray flat) {
        long min = flat.min().getLong();
        long max = flat.max().getLong();
        if (min < 0 || max >= table.rows()) {
            throw new IllegalArgumentException(
                    "Token id "
                            + (min < 0 ? min : max)
                            + " is out of range for the quantized embedding: ids must be in [0, "
                            + table.rows()
                            + ")");
        }
    }

    /**
     * Computes {@code x @ dequant(E)^T}, the tied output projection.
     *
     * @param x hidden states {@code [..., D]}, FLOAT32 or FLOAT16
     * @return logits {@code [..., V]} in the data type of {@code x}
     * @throws IllegalArgumentException when the last dimension of {@code x} is not D
     */
    @Override
    public NDArray projectTransposed(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != table.columns()) {
            throw new IllegalArgumentException(
                    "projectTransposed expects input [..., "
                            + table.columns()
                            + "] (embedding size), got "
                            + shape);
        }
        return prepared.get().apply(x);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(table.columns())};
    }

    /**
     * Not supported: quantized tables are saved in safetensors checkpoints.
     *
     * @param os unused
     * @throws UnsupportedOperationException always
     */
    @Override
    public void saveParameters(DataOutputStream os) {
        throw new UnsupportedOperationException(MetalQuantizedLinear.unsupportedFormatMessage());
    }

    /**
     * Not supported: quantized tables are loaded from safetensors checkpoints.
     *
     * @param manager unused
     * @param is unused
     * @throws UnsupportedOperationException always
     */
    @Override
    public void loadParameters(NDManager manager, DataInputStream is) {
        throw new UnsupportedOperationException(MetalQuantizedLinear.unsupportedFormatMessage());
    }

    /** Releases what the backend holds, then closes the quantized table. */
    @Override
    public void clear() {
        prepared.close();
        super.clear();
    }

    /** Releases what the backend holds and closes the table; same as {@link #clear()}. */
    @Override
    public void close() {
        clear();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MetalQuantizedEmbedding(num_embeddings="
                + getNumEmbeddings()
                + ", embedding_size="
                + getEmbeddingSize()
                + ", bits="
                + table.bits()
                + ", group_size="
                + table.groupSize()
                + ", backend="
                + backend.kind()
                + ')';
    }

    /** Builds a {@link MetalQuantizedEmbedding}. */
    public static final class Builder {

        private QuantizedTensor table;
        private QuantizedMatmul backend;

        Builder() {}

        /**
         * Sets the quantized table {@code [V, D]} (required); the block takes ownership of it.
         *
         * @param table the table
         * @return this builder
         */
        public Builder setWeight(QuantizedTensor table) {
            this.table = table;
            return this;
        }

        /**
         * Sets the backend for {@link MetalQuantizedEmbedding#projectTransposed(NDArray)} (default:
         * the portable NDArray backend with default settings).
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
         * @throws IllegalArgumentException when the table is missing
         */
        public MetalQuantizedEmbedding build() {
            if (table == null) {
                throw new IllegalArgumentException("MetalQuantizedEmbedding needs setWeight(...)");
            }
            table.requireMatrix("MetalQuantizedEmbedding");
            if (backend == null) {
                backend = new NDArrayQuantizedMatmul(BackendSettings.defaults());
            }
            return new MetalQuantizedEmbedding(this);
        }
    }
}
