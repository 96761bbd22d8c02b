package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.DecoderFamily;
import dev.djlmetal.zoo.decoder.MlpActivation;
import java.util.Set;

/**
 * Gemma 2 ({@code gemma2}): embeddings multiplied by {@code sqrt(hidden_size)}, RMS norms of {@code
 * (1 + weight)}, four norms per layer (the attention and MLP outputs are normalized too), a
 * tanh-GELU MLP, attention scores scaled by {@code query_pre_attn_scalar^-0.5} and soft-capped by
 * {@code attn_logit_softcapping}, output logits soft-capped by {@code final_logit_softcapping}, and
 * sliding-window layers alternating with full ones (layer 0 slides; transformers 5: {@code
 * layer_types}). The output projection is always the embedding table.
 */
public final class Gemma2Family extends DecoderFamily {

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public Gemma2Family() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("gemma2");
    }

    /** {@inheritDoc} */
    @Override
    public DecoderConfig readConfig(JsonObject json) {
        ConfigJson c = new ConfigJson(json);
        boolean attentionBias = c.bool("attention_bias", false);
        return c.decoder(MlpActivation.GELU_TANH)
                .optTieWordEmbeddings(c.bool("tie_word_embeddings", true))
                .optRope(c.rope(AttentionType.FULL, 10000.0))
                .optQkvBias(attentionBias)
                .optOutputBias(attentionBias)
                .optNormOffset(true)
                .optScaleEmbeddings(true)
                .optSandwichNorms(true)
                .optQueryPreAttnScalar(c.number("query_pre_attn_scalar", 0))
                .optAttnLogitSoftcapping(c.number("attn_logit_softcapping", 0))
                .optFinalLogitSoftcapping(c.number("final_logit_softcapping", 0))
                .optSlidingWindow(c.slidingWindow())
                .optLayerTypes(
                        c.layerTypes(i -> i % 2 == 0 ? AttentionType.SLIDING : AttentionType.FULL))
                .build();
    }
}
