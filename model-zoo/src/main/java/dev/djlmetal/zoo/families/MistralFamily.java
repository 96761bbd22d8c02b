package dev.djlmetal.zoo.families;

import com.google.gson.JsonObject;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.DecoderFamily;
import dev.djlmetal.zoo.decoder.MlpActivation;
import java.util.Set;

/**
 * Mistral ({@code mistral}) and Ministral ({@code ministral}): Llama's layers with sliding-window
 * attention. With a {@code sliding_window}, every Mistral layer slides; Ministral's {@code
 * layer_types} say which layers slide and which attend to everything.
 */
public final class MistralFamily extends DecoderFamily {

    /** Creates the family (found by {@link java.util.ServiceLoader}). */
    public MistralFamily() {}

    /** {@inheritDoc} */
    @Override
    public Set<String> modelTypes() {
        return Set.of("mistral", "ministral");
    }

    /** {@inheritDoc} */
    @Override
    public DecoderConfig readConfig(JsonObject json) {
        ConfigJson c = new ConfigJson(json);
        int window = c.slidingWindow();
        AttentionType everyLayer = window > 0 ? AttentionType.SLIDING : AttentionType.FULL;
        boolean attentionBias = c.bool("attention_bias", false);
        return c.decoder(MlpActivation.SILU)
                .optRope(c.rope(AttentionType.FULL, 10000.0))
                .optQkvBias(attentionBias)
                .optOutputBias(attentionBias)
                .optSlidingWindow(window)
                .optLayerTypes(c.layerTypes(i -> everyLayer))
                .build();
    }
}
