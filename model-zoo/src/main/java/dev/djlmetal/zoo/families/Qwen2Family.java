package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.DecoderFamily;
import dev.djlmetal.zoo.decoder.MlpActivation;
import java.util.Set;

/**
 * Qwen2 and Qwen2.5 ({@code qwen2}): Llama's layers with biases on the query, key and value
 * projections, and sliding-window attention on the layers from {@code max_window_layers} on when
 * {@code use_sliding_window} is set (transformers 5: {@code layer_types}).
 */
public final class Qwen2Family extends DecoderFamily {

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public Qwen2Family() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("qwen2");
    }

    /** {@inheritDoc} */
    @Override
    public DecoderConfig readConfig(JsonObject json) {
        ConfigJson c = new ConfigJson(json);
        return c.decoder(MlpActivation.SILU)
                .optRope(c.rope(AttentionType.FULL, 10000.0))
                .optQkvBias(true)
                .optSlidingWindow(c.slidingWindow())
                .optLayerTypes(c.qwenLayerTypes())
                .build();
    }
}
