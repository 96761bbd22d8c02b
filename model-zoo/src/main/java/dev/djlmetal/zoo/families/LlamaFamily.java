package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.DecoderFamily;
import dev.djlmetal.zoo.decoder.MlpActivation;
import java.util.Set;

/**
 * Llama ({@code llama}): Llama 2, 3, 3.1, 3.2, SmolLM, TinyLlama. Pre-norm decoder layers, SwiGLU
 * MLP, grouped-query attention, rotary positions ({@code default}, {@code linear} or Llama 3.1's
 * {@code llama3} scaling), optional {@code attention_bias} (q, k, v and o) and {@code mlp_bias}.
 */
public final class LlamaFamily extends DecoderFamily {

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public LlamaFamily() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("llama");
    }

    /** {@inheritDoc} */
    @Override
    public DecoderConfig readConfig(JsonObject json) {
        ConfigJson c = new ConfigJson(json);
        boolean attentionBias = c.bool("attention_bias", false);
        return c.decoder(MlpActivation.SILU)
                .optRope(c.rope(AttentionType.FULL, 10000.0))
                .optQkvBias(attentionBias)
                .optOutputBias(attentionBias)
                .optMlpBias(c.bool("mlp_bias", false))
                .build();
    }
}
