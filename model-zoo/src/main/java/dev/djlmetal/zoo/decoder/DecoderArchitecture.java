package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.djlmetal.engine.loading.CheckpointTensors;
import dev.djlmetal.engine.spi.ModelArchitecture;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** A decoder model built from its config: the block and the tensors it expects. */
public final class DecoderArchitecture implements ModelArchitecture {

    private final DecoderConfig config;
    private final CausalLM block;
    private final UnaryOperator<CheckpointTensors> layout;

    /**
     * Builds the model of a config whose checkpoints are stored in the model's own layout.
     *
     * @param config the config
     */
    public DecoderArchitecture(DecoderConfig config) {
        this(config, UnaryOperator.identity());
    }

    /**
     * Builds the model of a config.
     *
     * @param config the config
     * @param layout maps a checkpoint's tensors to the model's names (see {@link
     *     #toModelLayout(CheckpointTensors)})
     */
    public DecoderArchitecture(DecoderConfig config, UnaryOperator<CheckpointTensors> layout) {
        this.config = config;
        this.block = new CausalLM(config);
        this.layout = layout;
    }

    /**
     * Returns the config.
     *
     * @return the config
     */
    public DecoderConfig getConfig() {
        return config;
    }

    /** {@inheritDoc} */
    @Override
    public String getModelType() {
        return config.getModelType();
    }

    /** {@inheritDoc} */
    @Override
    public Block getBlock() {
        return block;
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, Shape> expectedTensors() {
        return tensorShapes(config);
    }

    /** {@inheritDoc} */
    @Override
    public CheckpointTensors toModelLayout(CheckpointTensors tensors) {
        return layout.apply(tensors);
    }

    /**
     * Returns the float tensors of a decoder model with their shapes and (Hugging Face / mlx-lm)
     * names: the parameters of the {@link CausalLM} the config builds.
     *
     * @param config the config
     * @return an ordered, unmodifiable map from tensor name to shape
     */
    public static Map<String, Shape> tensorShapes(DecoderConfig config) {
        Map<String, Shape> map = new LinkedHashMap<>();
        long hidden = config.getHiddenSize();
        long headDim = config.getHeadDim();
        long q = config.getNumAttentionHeads() * headDim;
        long kv = config.getNumKeyValueHeads() * headDim;
        map.put("model.embed_tokens.weight", new Shape(config.getVocabSize(), hidden));
        for (int i = 0; i < config.getNumHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            map.put(p + "input_layernorm.weight", new Shape(hidden));
            if (config.isFusedQkv()) {
                linear(map, p + "self_attn.qkv_proj", q + 2 * kv, hidden, config.isQkvBias());
            } else {
                linear(map, p + "self_attn.q_proj", q, hidden, config.isQkvBias());
                linear(map, p + "self_attn.k_proj", kv, hidden, config.isQkvBias());
                linear(map, p + "self_attn.v_proj", kv, hidden, config.isQkvBias());
            }
            linear(map, p + "self_attn.o_proj", hidden, q, config.isOutputBias());
            if (config.isQueryKeyNorm()) {
                map.put(p + "self_attn.q_norm.weight", new Shape(headDim));
                map.put(p + "self_attn.k_norm.weight", new Shape(headDim));
            }
            map.put(p + "post_attention_layernorm.weight", new Shape(hidden));
            if (config.isSandwichNorms()) {
                map.put(p + "pre_feedforward_layernorm.weight", new Shape(hidden));
                map.put(p + "post_feedforward_layernorm.weight", new Shape(hidden));
            }
            MoeConfig moe = config.getMoe();
            if (moe != null && moe.isSparse(i)) {
                sparse(map, p + moe.getBlockName() + '.', hidden, moe);
            } else {
                mlp(
                        map,
                        p + "mlp.",
                        hidden,
                        config.getIntermediateSize(),
                        config.isMlpBias(),
                        config.isFusedGateUp());
            }
        }
        map.put("model.norm.weight", new Shape(hidden));
        if (!config.isTieWordEmbeddings()) {
            map.put("lm_head.weight", new Shape(config.getVocabSize(), hidden));
        }
        return Collections.unmodifiableMap(map);
    }

    private static void mlp(
            Map<String, Shape> map,
            String prefix,
            long hidden,
            long inter,
            boolean bias,
            boolean fused) {
        if (fused) {
            linear(map, prefix + "gate_up_proj", 2 * inter, hidden, bias);
        } else {
            linear(map, prefix + "gate_proj", inter, hidden, bias);
            linear(map, prefix + "up_proj", inter, hidden, bias);
        }
        linear(map, prefix + "down_proj", hidden, inter, bias);
    }

    private static void sparse(Map<String, Shape> map, String prefix, long hidden, MoeConfig moe) {
        long experts = moe.getNumExperts();
        long inter = moe.getExpertIntermediateSize();
        map.put(prefix + "gate.weight", new Shape(experts, hidden));
        map.put(prefix + "switch_mlp.gate_proj.weight", new Shape(experts, inter, hidden));
        map.put(prefix + "switch_mlp.up_proj.weight", new Shape(experts, inter, hidden));
        map.put(prefix + "switch_mlp.down_proj.weight", new Shape(experts, hidden, inter));
        if (moe.getSharedExpertIntermediateSize() > 0) {
            mlp(
                    map,
                    prefix + "shared_expert.",
                    hidden,
                    moe.getSharedExpertIntermediateSize(),
                    false,
                    false);
            map.put(prefix + "shared_expert_gate.weight", new Shape(1, hidden));
        }
    }

    private static void linear(
            Map<String, Shape> map, String name, long out, long in, boolean bias) {
        map.put(name + ".weight", new Shape(out, in));
        if (bias) {
            map.put(name + ".bias", new Shape(out));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Optional<String> tiedOutputEmbedding() {
        return config.isTieWordEmbeddings() ? Optional.of("model.embed_tokens") : Optional.empty();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Skips the rotary {@code inv_freq} buffers of older checkpoints and, with tied embeddings,
     * a redundant {@code lm_head.weight}.
     */
    @Override
    public boolean isIgnored(String tensorName) {
        return tensorName.endsWith("rotary_emb.inv_freq")
                || (config.isTieWordEmbeddings() && tensorName.startsWith("lm_head."));
    }
}
