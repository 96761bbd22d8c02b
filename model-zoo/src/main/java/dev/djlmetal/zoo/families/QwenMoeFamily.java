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
 * Qwen2-MoE ({@code qwen2_moe}) and Qwen3-MoE ({@code qwen3_moe}): Qwen2's or Qwen3's attention
 * with sparse layers of {@code num_experts} SwiGLU experts of {@code moe_intermediate_size} ({@code
 * mlp}), {@code num_experts_per_tok} per token, weights renormalized when {@code norm_topk_prob};
 * Qwen2-MoE adds a shared expert gated by {@code sigmoid(shared_expert_gate(x))}. Layers listed in
 * {@code mlp_only_layers}, or off the {@code decoder_sparse_step}, keep a dense MLP of {@code
 * intermediate_size}. Checkpoints are read in the transformers 4 layout ({@code
 * experts.<e>.gate_proj}...), the transformers 5 fused layout and MLX's stacked {@code switch_mlp}.
 */
public final class QwenMoeFamily extends DecoderFamily {

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public QwenMoeFamily() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("qwen2_moe", "qwen3_moe");
    }

    /** {@inheritDoc} */
    @Override
    public DecoderConfig readConfig(JsonObject json) {
        ConfigJson c = new ConfigJson(json);
        boolean qwen3 = "qwen3_moe".equals(c.modelType());
        MoeConfig moe =
                MoeConfig.builder()
                        // transformers 5 writes num_local_experts, the Hub's configs num_experts
                        .setNumExperts(
                                c.has("num_experts")
                                        ? c.requiredInt("num_experts")
                                        : c.requiredInt("num_local_experts"))
                        .setTopK(c.requiredInt("num_experts_per_tok"))
                        .setExpertIntermediateSize(c.requiredInt("moe_intermediate_size"))
                        .optNormTopKProb(c.bool("norm_topk_prob", false))
                        .optSharedExpertIntermediateSize(
                                qwen3 ? 0 : c.integer("shared_expert_intermediate_size", 0))
                        .optDenseLayers(c.integerSet("mlp_only_layers"))
                        .optSparseStep(c.integer("decoder_sparse_step", 1))
                        .build();
        boolean attentionBias = c.bool("attention_bias", false);
        return c.decoder(MlpActivation.SILU)
                .optRope(c.rope(AttentionType.FULL, 10000.0))
                .optQkvBias(qwen3 ? attentionBias : c.bool("qkv_bias", true))
                .optOutputBias(qwen3 && attentionBias)
                .optQueryKeyNorm(qwen3)
                .optSlidingWindow(c.slidingWindow())
                .optLayerTypes(c.qwenLayerTypes())
                .optMoe(moe)
                .build();
    }

    /** {@inheritDoc} */
    @Override
    public CheckpointTensors toModelLayout(DecoderConfig config, CheckpointTensors tensors) {
        return new ExpertLayouts(
                tensors,
                config,
                List.of("mlp"),
                new String[] {"gate_proj", "up_proj", "down_proj"});
    }
}
