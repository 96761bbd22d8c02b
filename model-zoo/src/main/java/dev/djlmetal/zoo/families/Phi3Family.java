package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.DecoderFamily;
import dev.djlmetal.zoo.decoder.MlpActivation;
import java.util.Set;

/**
 * Phi-3, Phi-3.5-mini and Phi-4-mini ({@code phi3}): one fused {@code qkv_proj} and one fused
 * {@code gate_up_proj} (each quantized as stored: one packed matrix, split after the product),
 * LongRoPE scaling ({@code longrope}, formerly {@code su}: short factors while a forward pass stays
 * within {@code original_max_position_embeddings}, long factors beyond, and an attention factor),
 * {@code partial_rotary_factor} (Phi-4-mini rotates three quarters of each head), and
 * sliding-window attention in every layer when {@code sliding_window} is set.
 */
public final class Phi3Family extends DecoderFamily {

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public Phi3Family() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("phi3");
    }

    /** {@inheritDoc} */
    @Override
    public DecoderConfig readConfig(JsonObject json) {
        ConfigJson c = new ConfigJson(json);
        int window = c.slidingWindow();
        AttentionType everyLayer = window > 0 ? AttentionType.SLIDING : AttentionType.FULL;
        return c.decoder(MlpActivation.SILU)
                .optRope(c.rope(AttentionType.FULL, 10000.0))
                .optPartialRotaryFactor(c.partialRotaryFactor())
                .optFusedQkv(true)
                .optFusedGateUp(true)
                .optSlidingWindow(window)
                .optLayerTypes(c.layerTypes(i -> everyLayer))
                .build();
    }
}
