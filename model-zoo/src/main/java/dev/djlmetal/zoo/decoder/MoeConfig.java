package dev.djlmetal.zoo.decoder;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * The mixture-of-experts settings of a decoder: how many experts, how tokens are routed and which
 * layers are sparse.
 *
 * <p>Routing follows transformers: {@code softmax} of the router logits in float32, the {@code
 * top_k} largest probabilities, renormalized to sum 1 when {@link #isNormTopKProb()}. A shared
 * expert (Qwen2-MoE) adds {@code sigmoid(shared_expert_gate(x)) * shared_expert(x)}.
 */
public final class MoeConfig {

    private final int numExperts;
    private final int topK;
    private final int expertIntermediateSize;
    private final boolean normTopKProb;
    private final int sharedExpertIntermediateSize;
    private final String blockName;
    private final Set<Integer> denseLayers;
    private final int sparseStep;

    private MoeConfig(Builder b) {
        numExperts = b.numExperts;
        topK = b.topK;
        expertIntermediateSize = b.expertIntermediateSize;
        normTopKProb = b.normTopKProb;
        sharedExpertIntermediateSize = b.sharedExpertIntermediateSize;
        blockName = b.blockName;
        denseLayers = Collections.unmodifiableSet(new TreeSet<>(b.denseLayers));
        sparseStep = b.sparseStep;
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
     * Returns the number of experts per sparse layer.
     *
     * @return {@code num_experts} / {@code num_local_experts}
     */
    public int getNumExperts() {
        return numExperts;
    }

    /**
     * Returns the number of experts each token is routed to.
     *
     * @return {@code num_experts_per_tok}
     */
    public int getTopK() {
        return topK;
    }

    /**
     * Returns the inner width of each expert.
     *
     * @return {@code moe_intermediate_size} (Mixtral: {@code intermediate_size})
     */
    public int getExpertIntermediateSize() {
        return expertIntermediateSize;
    }

    /**
     * Returns whether the top-k routing weights are renormalized to sum 1.
     *
     * @return {@code norm_topk_prob} (always true for Mixtral)
     */
    public boolean isNormTopKProb() {
        return normTopKProb;
    }

    /**
     * Returns the inner width of the shared expert.
     *
     * @return {@code shared_expert_intermediate_size}, 0 when the family has no shared expert
     */
    public int getSharedExpertIntermediateSize() {
        return sharedExpertIntermediateSize;
    }

    /**
     * Returns the name of the sparse block in a decoder layer.
     *
     * @return {@code mlp} (Qwen) or {@code block_sparse_moe} (Mixtral)
     */
    public String getBlockName() {
        return blockName;
    }

    /**
     * Returns whether a layer is sparse: not listed in {@code mlp_only_layers} and {@code (layer +
     * 1) % decoder_sparse_step == 0}.
     *
     * @param layer the layer index
     * @return true for a mixture-of-experts layer, false for a dense MLP
     */
    public boolean isSparse(int layer) {
        return !denseLayers.contains(layer) && (layer + 1) % sparseStep == 0;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MoeConfig{experts="
                + numExperts
                + ", topK="
                + topK
                + ", intermediate="
                + expertIntermediateSize
                + ", normTopK="
                + normTopKProb
                + ", shared="
                + sharedExpertIntermediateSize
                + '}';
    }

    /** Builds a {@link MoeConfig}. */
    public static final class Builder {

        private int numExperts;
        private int topK;
        private int expertIntermediateSize;
        private boolean normTopKProb;
        private int sharedExpertIntermediateSize;
        private String blockName = "mlp";
        private Set<Integer> denseLayers = Collections.emptySet();
        private int sparseStep = 1;

        Builder() {}

        /**
         * Sets the number of experts.
         *
         * @param numExperts at least 1
         * @return this builder
         */
        public Builder setNumExperts(int numExperts) {
            this.numExperts = numExperts;
            return this;
        }

        /**
         * Sets the number of experts per token.
         *
         * @param topK in {@code [1, numExperts]}
         * @return this builder
         */
        public Builder setTopK(int topK) {
            this.topK = topK;
            return this;
        }

        /**
         * Sets the inner width of each expert.
         *
         * @param expertIntermediateSize positive
         * @return this builder
         */
        public Builder setExpertIntermediateSize(int expertIntermediateSize) {
            this.expertIntermediateSize = expertIntermediateSize;
            return this;
        }

        /**
         * Sets whether the routing weights are renormalized (default false).
         *
         * @param normTopKProb {@code norm_topk_prob}
         * @return this builder
         */
        public Builder optNormTopKProb(boolean normTopKProb) {
            this.normTopKProb = normTopKProb;
            return this;
        }

        /**
         * Sets the shared expert's inner width (default 0: none).
         *
         * @param size {@code shared_expert_intermediate_size}
         * @return this builder
         */
        public Builder optSharedExpertIntermediateSize(int size) {
            this.sharedExpertIntermediateSize = size;
            return this;
        }

        /**
         * Sets the name of the sparse block (default {@code mlp}).
         *
         * @param blockName the child name in the decoder layer
         * @return this builder
         */
        public Builder optBlockName(String blockName) {
            this.blockName = blockName;
            return this;
        }

        /**
         * Sets the layers that keep a dense MLP (default none).
         *
         * @param denseLayers {@code mlp_only_layers}
         * @return this builder
         */
        public Builder optDenseLayers(Set<Integer> denseLayers) {
            this.denseLayers = denseLayers;
            return this;
        }

        /**
         * Sets the sparse step (default 1: every layer).
         *
         * @param sparseStep {@code decoder_sparse_step}, positive
         * @return this builder
         */
        public Builder optSparseStep(int sparseStep) {
            this.sparseStep = sparseStep;
            return this;
        }

        /**
         * Builds and checks the settings.
         *
         * @return the settings
         * @throws IllegalArgumentException naming the first invalid field
         */
        public MoeConfig build() {
            if (numExperts < 1) {
                throw new IllegalArgumentException(
                        "num_experts must be positive, got " + numExperts);
            }
            if (topK < 1 || topK > numExperts) {
                throw new IllegalArgumentException(
                        "num_experts_per_tok must be in [1, " + numExperts + "], got " + topK);
            }
            if (expertIntermediateSize < 1) {
                throw new IllegalArgumentException(
                        "the expert intermediate size must be positive, got "
                                + expertIntermediateSize);
            }
            if (sparseStep < 1) {
                throw new IllegalArgumentException(
                        "decoder_sparse_step must be positive, got " + sparseStep);
            }
            if (sharedExpertIntermediateSize < 0) {
                throw new IllegalArgumentException(
                        "shared_expert_intermediate_size must not be negative, got "
                                + sharedExpertIntermediateSize);
            }
            return new MoeConfig(this);
        }
    }
}
