package dev.djlmetal.zoo.decoder;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import dev.djlmetal.engine.spi.ModelArchitecture;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A Llama-family model built from its config: the block and the tensors it expects. */
public final class DecoderArchitecture implements ModelArchitecture {

    private final DecoderConfig config;
    private final CausalLM block;

    /**
     * Builds the model of a config.
     *
     * @param config the config
     */
    public DecoderArchitecture(DecoderConfig config) {
        this.config = config;
        this.block = new CausalLM(config);
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

    /**
     * Returns the float tensors of a Llama-family model with their shapes, Hugging Face names.
     *
     * @param config the config
     * @return an ordered, unmodifiable map from tensor name to shape
     */
    public static Map<String, Shape> tensorShapes(DecoderConfig config) {
        Map<String, Shape> map = new LinkedHashMap<>();
        long hidden = config.getHiddenSize();
        long inter = config.getIntermediateSize();
        long q = (long) config.getNumAttentionHeads() * config.getHeadDim();
        long kv = (long) config.getNumKeyValueHeads() * config.getHeadDim();
        map.put("model.embed_tokens.weight", new Shape(config.getVocabSize(), hidden));
        for (int i = 0; i < config.getNumHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            map.put(p + "input_layernorm.weight", new Shape(hidden));
            linear(map, p + "self_attn.q_proj", q, hidden, config.isQkvBias());
            linear(map, p + "self_attn.k_proj", kv, hidden, config.isQkvBias());
            linear(map, p + "self_attn.v_proj", kv, hidden, config.isQkvBias());
            linear(map, p + "self_attn.o_proj", hidden, q, config.isOutputBias());
            map.put(p + "post_attention_layernorm.weight", new Shape(hidden));
            linear(map, p + "mlp.gate_proj", inter, hidden, config.isMlpBias());
            linear(map, p + "mlp.up_proj", inter, hidden, config.isMlpBias());
            linear(map, p + "mlp.down_proj", hidden, inter, config.isMlpBias());
        }
        map.put("model.norm.weight", new Shape(hidden));
        if (!config.isTieWordEmbeddings()) {
            map.put("lm_head.weight", new Shape(config.getVocabSize(), hidden));
        }
        return Collections.unmodifiableMap(map);
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
