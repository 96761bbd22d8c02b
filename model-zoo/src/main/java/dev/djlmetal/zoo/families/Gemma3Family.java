package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.DecoderFamily;
import dev.djlmetal.zoo.decoder.MlpActivation;
import dev.djlmetal.zoo.decoder.RopeScaling;
import java.util.Set;

/**
 * Gemma 3's text model ({@code gemma3_text}: Gemma 3 1B, and the language model of the larger Gemma
 * 3 checkpoints saved on their own): Gemma 2's layout with per-head query/key norms instead of
 * attention soft-capping, the sliding-window pattern from {@code layer_types} (transformers 5) or
 * {@code sliding_window_pattern} (transformers 4: layer {@code i} slides unless {@code (i + 1) %
 * pattern == 0}), and two rotary settings: the local base frequency for sliding layers ({@code
 * rope_local_base_freq}, or {@code rope_parameters.sliding_attention}) and {@code rope_theta} with
 * its scaling for the global ones.
 *
 * <p>{@code gemma3} (the multimodal Gemma 3 with its vision tower) is registered too, only to say
 * clearly that its text model must be loaded on its own.
 */
public final class Gemma3Family extends DecoderFamily {

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public Gemma3Family() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("gemma3_text", "gemma3");
    }

    /** {@inheritDoc} */
    @Override
    public DecoderConfig readConfig(JsonObject json) {
        ConfigJson c = new ConfigJson(json);
        if ("gemma3".equals(c.modelType())) {
            throw c.error(
                    "the multimodal Gemma 3 (Gemma3ForConditionalGeneration, vision tower and"
                            + " text_config) is not supported; its language model is, as a"
                            + " gemma3_text checkpoint (Gemma 3 1B, or the text model saved on"
                            + " its own)");
        }
        c.rejectTrue(
                "use_bidirectional_attention",
                "only causal (generative) Gemma 3 models are implemented");
        int pattern = c.integer("sliding_window_pattern", 6);
        boolean attentionBias = c.bool("attention_bias", false);
        RopeScaling local =
                c.ropeParameters(AttentionType.SLIDING) != null
                        ? c.rope(AttentionType.SLIDING, 10000.0)
                        : RopeScaling.none(c.number("rope_local_base_freq", 10000.0));
        return c.decoder(MlpActivation.GELU_TANH)
                .optTieWordEmbeddings(c.bool("tie_word_embeddings", true))
                .optRope(c.rope(AttentionType.FULL, 1000000.0))
                .optLocalRope(local)
                .optQkvBias(attentionBias)
                .optOutputBias(attentionBias)
                .optNormOffset(true)
                .optScaleEmbeddings(true)
                .optSandwichNorms(true)
                .optQueryKeyNorm(true)
                .optQueryPreAttnScalar(c.number("query_pre_attn_scalar", 0))
                .optAttnLogitSoftcapping(c.number("attn_logit_softcapping", 0))
                .optFinalLogitSoftcapping(c.number("final_logit_softcapping", 0))
                .optSlidingWindow(c.slidingWindow())
                .optLayerTypes(
                        c.layerTypes(
                                i ->
                                        (i + 1) % pattern != 0
                                                ? AttentionType.SLIDING
                                                : AttentionType.FULL))
                .build();
    }
}
