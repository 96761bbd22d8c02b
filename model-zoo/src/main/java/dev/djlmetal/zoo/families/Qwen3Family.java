package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.DecoderFamily;
import dev.djlmetal.zoo.decoder.MlpActivation;
import java.util.Set;

/**
 * Qwen3 ({@code qwen3}): Qwen2's layers without the q/k/v biases (unless {@code attention_bias})
 * and with per-head RMS norms on queries and keys ({@code q_norm}, {@code k_norm}) before the
 * rotation; {@code head_dim} is independent of the hidden size.
 */
public final class Qwen3Family extends DecoderFamily {

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public Qwen3Family() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("qwen3");
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
                .optQueryKeyNorm(true)
                .optSlidingWindow(c.slidingWindow())
                .optLayerTypes(c.qwenLayerTypes())
                .build();
    }
}
