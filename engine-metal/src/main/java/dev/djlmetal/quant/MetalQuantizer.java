package dev.djlmetal.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.nn.MetalQuantizedEmbedding;
import dev.djlmetal.nn.MetalQuantizedLinear;
import dev.djlmetal.nn.MetalQuantizedSwitchLinear;
import dev.djlmetal.nn.QuantizableEmbedding;
import dev.djlmetal.nn.SwitchLinear;
import dev.djlmetal.quant.QuantizationReport.ConvertedLayer;
import dev.djlmetal.quant.QuantizationReport.SkippedLayer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Replaces the float layers of any DJL block tree with quantized blocks: every eligible {@link
 * Linear} becomes a {@link MetalQuantizedLinear}, every eligible {@link SwitchLinear} (the stacked
 * experts of a mixture-of-experts layer, each expert quantized like a linear layer) a {@link
 * MetalQuantizedSwitchLinear}, and every {@link QuantizableEmbedding} a {@link
 * MetalQuantizedEmbedding} when {@link MetalConfig#isQuantizeEmbeddings()} is on or a pre-quantized
 * table is supplied.
 *
 * <p>Run it after the float parameters are loaded: each layer's float weight is quantized with
 * {@link AffineQuantizer} (or taken from a {@link QuantizedWeightSource}) and then closed to free
 * its memory, unless a parameter of a layer that stays in float holds the same array. Modules are
 * addressed by the paths of {@link #modulePaths(Block)}.
 *
 * <p>A layer is replaced in its parent's child list and in every instance field of a block of the
 * tree that refers to it (found by reflection through the class hierarchy). When one of those
 * fields is declared with a type that cannot hold the quantized block (for example {@code Linear}),
 * the layer is left in float and reported as skipped rather than half replaced. References held
 * outside the tree's blocks (in collections or helper objects) are not seen. Layers are also
 * skipped, with the reason, when the configuration keeps them in float, when their input size is
 * not a multiple of the group size, when their parameters are not initialized, or when their weight
 * is not a FLOAT32 or FLOAT16 matrix (a 3-D stack for {@link SwitchLinear}). A pre-quantized tensor
 * that cannot be put in place is an error, since the float weight it stands for was never loaded.
 */
public final class MetalQuantizer {

    private MetalQuantizer() {}

    /**
     * Lists the module path of every block below {@code root}, in pre-order.
     *
     * <p>A path is the dotted list of child names, with the two-digit position prefix that {@code
     * AbstractBlock.addChildBlock} adds stripped ({@code "01q_proj"} is {@code q_proj}). Children
     * of a {@link ai.djl.nn.SequentialBlock} or {@link ai.djl.nn.ParallelBlock}, which DJL names
     * after their class, are addressed by their zero-based index, like PyTorch's {@code
     * nn.Sequential} ({@code layers.0.mlp.up_proj}); so are children of other blocks whose names
     * collide with a sibling's.
     *
     * @param root the root block (its own path is the empty string, not listed)
     * @return the paths
     */
    public static List<String> modulePaths(Block root) {
        return BlockTree.of(root).nodes().stream()
                .filter(node -> node.parent != null)
                .map(node -> node.path)
                .collect(Collectors.toList());
    }

    /**
     * Quantizes the eligible layers of a block tree on the fly.
     *
     * @param root the root block, with its float parameters loaded
     * @param config which modules to quantize and how
     * @return what was converted and what was skipped
     */
    public static QuantizationReport quantize(Block root, MetalConfig config) {
        return quantize(root, config, QuantizedWeightSource.none(), null);
    }

    /**
     * Converts the eligible layers of a block tree, using pre-quantized weights where the source
     * has them.
     *
     * @param root the root block
     * @param config which modules to quantize and how
     * @param source pre-quantized weights by module path
     * @return what was converted and what was skipped
     */
    public static QuantizationReport quantize(
            Block root, MetalConfig config, QuantizedWeightSource source) {
        return quantize(root, config, source, null);
    }

    /**
     * Converts the eligible layers of a block tree.
     *
     * @param root the root block
     * @param config which modules to quantize and how
     * @param source pre-quantized weights by module path
     * @param backend the backend every quantized block runs on, or null for {@code
     *     Backends.create(config.getBackend(), device of the weights, config.toBackendSettings())}
     * @return what was converted and what was skipped
     * @throws IllegalArgumentException when a pre-quantized tensor does not match its layer
     * @throws IllegalStateException when a pre-quantized tensor cannot be put in place
     */
    public static QuantizationReport quantize(
            Block root, MetalConfig config, QuantizedWeightSource source, QuantizedMatmul backend) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(source, "source");
        return new Conversion(root, config, source, backend).run();
    }

    /** The state of one conversion run. */
    private static final class Conversion {

        private final BlockTree tree;
        private final MetalConfig config;
        private final QuantizedWeightSource source;
        private QuantizedMatmul backend;
        private final List<ConvertedLayer> converted = new ArrayList<>();
        private final List<SkippedLayer> skipped = new ArrayList<>();

        Conversion(
                Block root,
                MetalConfig config,
                QuantizedWeightSource source,
                QuantizedMatmul backend) {
            this.tree = BlockTree.of(root);
            this.config = config;
            this.source = source;
            this.backend = backend;
        }

        QuantizationReport run() {
            Map<Block, Boolean> seen = new IdentityHashMap<>();
            for (BlockTree.Node node : tree.nodes()) {
                LayerKind kind = LayerKind.of(node.block);
                if (kind != null && seen.put(node.block, Boolean.TRUE) == null) {
                    convert(node, kind);
                }
            }
            return new QuantizationReport(converted, skipped);
        }

        private void convert(BlockTree.Node node, LayerKind kind) {
            Parameter weight = kind.weight(node.block);
            Parameter bias = kind.bias(node.block);
            Optional<QuantizedTensor> pre = source.find(node.path);
            if (pre.isPresent()) {
                convertPreQuantized(node, kind, weight, bias, pre.get());
                return;
            }
            if (kind == LayerKind.EMBEDDING && !config.isQuantizeEmbeddings()) {
                skip(node, "embeddings stay in float (quantize_embeddings is off)");
                return;
            }
            Optional<QuantSpec> spec = config.specFor(node.path);
            if (spec.isEmpty()) {
                skip(node, "kept in float by modules_to_not_convert or a per-module override");
                return;
            }
            String problem = floatWeightProblem(kind, weight, bias, spec.get());
            if (problem == null) {
                problem = placementProblem(node, kind);
            }
            if (problem != null) {
                skip(node, problem);
                return;
            }
            NDArray w = weight.getArray();
            long bytesBefore = w.size() * w.getDataType().getNumOfBytes();
            QuantizedTensor q = quantizeScoped(w, spec.get());
            place(node, kind, q, bias);
            closeUnlessShared(weight);
            converted.add(new ConvertedLayer(node.path, kind.label, q, bytesBefore, false));
        }

        private void convertPreQuantized(
                BlockTree.Node node,
                LayerKind kind,
                Parameter weight,
                Parameter bias,
                QuantizedTensor q) {
            String problem = null;
            if (q.isStacked() != (kind == LayerKind.SWITCH)) {
                String message =
                        "Pre-quantized weight of "
                                + node.path
                                + " is "
                                + (q.isStacked() ? "a stack of matrices " : "a matrix ")
                                + q.logicalShape()
                                + " but the module is "
                                + (kind == LayerKind.SWITCH
                                        ? "a stack of experts"
                                        : "a " + kind.label);
                q.close();
                throw new IllegalArgumentException(message);
            }
            if (weight.isInitialized() && !weight.getArray().getShape().equals(q.logicalShape())) {
                String message =
                        "Pre-quantized weight of "
                                + node.path
                                + " is "
                                + q.logicalShape()
                                + " but the layer's weight is "
                                + weight.getArray().getShape();
                q.close();
                throw new IllegalArgumentException(message);
            }
            if (bias != null && !bias.isInitialized()) {
                problem = "its bias is not initialized";
            }
            if (problem == null) {
                problem = placementProblem(node, kind);
            }
            if (problem != null) {
                q.close();
                throw new IllegalStateException(
                        "Module " + node.path + " has a pre-quantized weight but " + problem);
            }
            long elements = q.logicalShape().size();
            long bytesBefore =
                    weight.isInitialized()
                            ? elements * weight.getArray().getDataType().getNumOfBytes()
                            : elements * q.scales().getDataType().getNumOfBytes();
            place(node, kind, q, bias);
            closeUnlessShared(weight);
            converted.add(new ConvertedLayer(node.path, kind.label, q, bytesBefore, true));
        }

        /**
         * Closes a converted layer's float weight, unless another parameter of the tree holds the
         * same array (a table shared with a layer that stays in float).
         */
        private void closeUnlessShared(Parameter weight) {
            if (!weight.isInitialized()) {
                return;
            }
            NDArray array = weight.getArray();
            for (BlockTree.Node node : tree.nodes()) {
                for (Parameter other : node.block.getDirectParameters().values()) {
                    if (other != weight && other.isInitialized() && other.getArray() == array) {
                        return;
                    }
                }
            }
            weight.close();
        }

        private static String floatWeightProblem(
                LayerKind kind, Parameter weight, Parameter bias, QuantSpec spec) {
            if (!weight.isInitialized()) {
                return "its parameters are not initialized (load the weights before quantizing)";
            }
            if (bias != null && !bias.isInitialized()) {
                return "its bias is not initialized (load the weights before quantizing)";
            }
            NDArray w = weight.getArray();
            Shape shape = w.getShape();
            int dims = kind == LayerKind.SWITCH ? 3 : 2;
            if (shape.dimension() != dims) {
                return "weight " + shape + " is not a " + dims + "-D " + kind.weightName;
            }
            DataType type = w.getDataType();
            if (type != DataType.FLOAT32 && type != DataType.FLOAT16) {
                return "weight data type " + type.name() + " is not FLOAT32 or FLOAT16";
            }
            long columns = shape.get(dims - 1);
            if (!spec.isEligible(columns)) {
                return kind.columnsName
                        + ' '
                        + columns
                        + " not divisible by group_size "
                        + spec.getGroupSize();
            }
            return null;
        }

        private String placementProblem(BlockTree.Node node, LayerKind kind) {
            if (node.parent == null) {
                return "the root block cannot be replaced in place";
            }
            return BlockReferences.find(tree, node.block).whyNotReplaceableBy(kind.replacement);
        }

        private static QuantizedTensor quantizeScoped(NDArray w, QuantSpec spec) {
            try (NDScope scope = new NDScope()) {
                Shape shape = w.getShape();
                QuantizedTensor q;
                if (shape.dimension() == 3) {
                    // the rows of every expert are independent groups: quantize the stack as one
                    // [E * N, K] matrix, then give the arrays their leading expert axis back
                    long experts = shape.get(0);
                    long rows = shape.get(1);
                    QuantizedTensor flat =
                            AffineQuantizer.quantize(
                                    w.reshape(experts * rows, shape.get(2)),
                                    spec.getBits(),
                                    spec.getGroupSize());
                    q =
                            new QuantizedTensor(
                                    stackOf(flat.packed(), experts, rows),
                                    stackOf(flat.scales(), experts, rows),
                                    stackOf(flat.biases(), experts, rows),
                                    spec.getBits(),
                                    spec.getGroupSize());
                } else {
                    q = AffineQuantizer.quantize(w, spec.getBits(), spec.getGroupSize());
                }
                NDScope.unregister(q.packed(), q.scales(), q.biases());
                scope.suppressNotUsedWarning();
                return q;
            }
        }

        private static NDArray stackOf(NDArray flat, long experts, long rows) {
            return flat.reshape(experts, rows, flat.getShape().get(1));
        }

        private void place(BlockTree.Node node, LayerKind kind, QuantizedTensor q, Parameter bias) {
            QuantizedMatmul matmul = backend(q);
            Block replacement;
            if (kind == LayerKind.LINEAR) {
                replacement =
                        MetalQuantizedLinear.builder()
                                .setWeight(q)
                                .optBias(bias == null ? null : bias.getArray())
                                .optBackend(matmul)
                                .build();
            } else if (kind == LayerKind.SWITCH) {
                replacement =
                        MetalQuantizedSwitchLinear.builder()
                                .setWeight(q)
                                .optBackend(matmul)
                                .build();
            } else {
                replacement =
                        MetalQuantizedEmbedding.builder().setWeight(q).optBackend(matmul).build();
            }
            BlockReferences.find(tree, node.block).replaceWith(replacement);
        }

        private QuantizedMatmul backend(QuantizedTensor q) {
            if (backend == null) {
                backend =
                        Backends.create(
                                config.getBackend(),
                                q.packed().getDevice(),
                                config.toBackendSettings());
            }
            return backend;
        }

        private void skip(BlockTree.Node node, String reason) {
            skipped.add(new SkippedLayer(node.path, reason));
        }
    }

    /** The kinds of float layers the quantizer converts. */
    private enum LayerKind {
        LINEAR("linear", "in_features", "matrix", MetalQuantizedLinear.class),
        SWITCH(
                "experts",
                "in_features",
                "stack of expert matrices",
                MetalQuantizedSwitchLinear.class),
        EMBEDDING("embedding", "embedding_size", "matrix", MetalQuantizedEmbedding.class);

        final String label;
        final String columnsName;
        final String weightName;
        final Class<? extends Block> replacement;

        LayerKind(
                String label,
                String columnsName,
                String weightName,
                Class<? extends Block> replacement) {
            this.label = label;
            this.columnsName = columnsName;
            this.weightName = weightName;
            this.replacement = replacement;
        }

        static LayerKind of(Block block) {
            if (block instanceof Linear) {
                return LINEAR;
            }
            if (block instanceof SwitchLinear) {
                return SWITCH;
            }
            if (block instanceof QuantizableEmbedding) {
                return EMBEDDING;
            }
            return null;
        }

        Parameter weight(Block block) {
            if (this == LINEAR || this == SWITCH) {
                return block.getDirectParameters().get("weight");
            }
            return ((QuantizableEmbedding) block).getEmbeddingWeight();
        }

        Parameter bias(Block block) {
            return this == LINEAR ? block.getDirectParameters().get("bias") : null;
        }
    }
}
