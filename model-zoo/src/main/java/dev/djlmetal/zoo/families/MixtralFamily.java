package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.engine.loading.CheckpointTensors;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.DecoderFamily;
import dev.djlmetal.zoo.decoder.MlpActivation;
import dev.djlmetal.zoo.decoder.MoeConfig;
import java.util.List;
import java.util.Set;

/**
 * Mixtral ({@code mixtral}): Mistral's attention with a sparse mixture of {@code num_local_experts}
 * SwiGLU experts of {@code intermediate_size} in every layer ({@code block_sparse_moe}), {@code
 * num_experts_per_tok} of them per token with renormalized softmax weights. Checkpoints are read in
 * the transformers 4 layout ({@code experts.<e>.w1/w3/w2}), the transformers 5 fused layout ({@code
 * mlp.experts.gate_up_proj}, {@code mlp.experts.down_proj}) and MLX's stacked {@code switch_mlp}
 * (float or quantized).
 */
public final class MixtralFamily extends DecoderFamily {

    private static final String BLOCK = "block_sparse_moe";

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public MixtralFamily() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("mixtral");
    }

    /** {@inheritDoc} */
    @Override
    public DecoderConfig readConfig(JsonObject json) {
        ConfigJson c = new ConfigJson(json);
        int window = c.slidingWindow();
        AttentionType everyLayer = window > 0 ? AttentionType.SLIDING : AttentionType.FULL;
        MoeConfig moe =
                MoeConfig.builder()
                        .setNumExperts(c.requiredInt("num_local_experts"))
                        .setTopK(c.requiredInt("num_experts_per_tok"))
                        .setExpertIntermediateSize(c.requiredInt("intermediate_size"))
                        .optNormTopKProb(true)
                        .optBlockName(BLOCK)
                        .build();
        return c.decoder(MlpActivation.SILU)
                .optRope(c.rope(AttentionType.FULL, 1000000.0))
                .optSlidingWindow(window)
                .optLayerTypes(c.layerTypes(i -> everyLayer))
                .optMoe(moe)
                .build();
    }

    /** {@inheritDoc} */
    @Override
    public CheckpointTensors toModelLayout(DecoderConfig config, CheckpointTensors tensors) {
        return new ExpertLayouts(
                tensors, config, List.of(BLOCK, "mlp"), new String[] {"w1", "w3", "w2"});
    }
}
