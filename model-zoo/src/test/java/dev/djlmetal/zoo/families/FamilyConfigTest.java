package dev.djlmetal.zoo.families;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.engine.loading.CheckpointLoader;
import dev.djlmetal.zoo.decoder.AttentionType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.MlpActivation;
import dev.djlmetal.zoo.decoder.RopeScaling;
import dev.djlmetal.zoo.testing.InMemoryTensors;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How the families read {@code config.json}: the features they derive (layer types, rotary
 * settings, mixture-of-experts settings), checked against hand-computed values, and the clear
 * errors for what they do not implement.
 */
class FamilyConfigTest {

    private static final String BASE =
            "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": %d,"
                    + " \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"vocab_size\": 48";

    private static DecoderConfig parse(int layers, String fields) {
        return DecoderConfig.fromJson(json(layers, fields));
    }

    private static JsonObject json(int layers, String fields) {
        return JsonParser.parseString("{" + String.format(BASE, layers) + ", " + fields + "}")
                .getAsJsonObject();
    }

    private static void assertRejected(String expected, int layers, String fields) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> parse(layers, fields));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void longRopeFrequenciesAndAttentionFactorAreHandComputed() {
        DecoderConfig c =
                parse(
                        2,
                        "\"model_type\": \"phi3\", \"max_position_embeddings\": 64,"
                                + " \"original_max_position_embeddings\": 12,"
                                + " \"partial_rotary_factor\": 0.5, \"rope_theta\": 10000.0,"
                                + " \"rope_scaling\": {\"type\": \"su\", \"short_factor\":"
                                + " [1, 1.5, 2, 4], \"long_factor\": [1.5, 3, 6, 12]}");
        RopeScaling rope = c.getRope();
        assertEquals("longrope", rope.getType());
        assertEquals(8, c.getRotaryDim());
        assertArrayEquals(
                new double[] {1, 0.1 / 1.5, 0.01 / 2, 0.001 / 4},
                rope.inverseFrequencies(8),
                1e-15);
        assertArrayEquals(
                new double[] {1 / 1.5, 0.1 / 3, 0.01 / 6, 0.001 / 12},
                rope.longInverseFrequencies(8),
                1e-15);
        // sqrt(1 + ln(64 / 12) / ln(12)), as transformers derives it
        assertEquals(1.2936992208031892, rope.getAttentionFactor(), 1e-15);
        assertFalse(rope.usesLongFactors(11));
        assertTrue(rope.usesLongFactors(12));
        assertTrue(c.isFusedQkv() && c.isFusedGateUp());
    }

    @Test
    void layerTypesFollowEachFamilysRule() {
        DecoderConfig gemma3 =
                parse(
                        12,
                        "\"model_type\": \"gemma3_text\", \"sliding_window\": 512,"
                                + " \"sliding_window_pattern\": 6, \"rope_theta\": 1000000.0,"
                                + " \"rope_local_base_freq\": 10000.0, \"rope_scaling\":"
                                + " {\"rope_type\": \"linear\", \"factor\": 8.0}");
        for (int i = 0; i < 12; i++) {
            AttentionType expected = i == 5 || i == 11 ? AttentionType.FULL : AttentionType.SLIDING;
            assertEquals(expected, gemma3.getLayerType(i), "gemma3 layer " + i);
        }
        assertEquals(10000.0, gemma3.getRope(AttentionType.SLIDING).getTheta());
        assertEquals("default", gemma3.getRope(AttentionType.SLIDING).getType());
        assertEquals(1000000.0, gemma3.getRope(AttentionType.FULL).getTheta());
        assertEquals("linear", gemma3.getRope(AttentionType.FULL).getType());
        assertTrue(gemma3.isNormOffset() && gemma3.isScaleEmbeddings() && gemma3.isQueryKeyNorm());
        assertEquals(MlpActivation.GELU_TANH, gemma3.getActivation());
        assertTrue(gemma3.isTieWordEmbeddings());

        DecoderConfig gemma2 =
                parse(
                        4,
                        "\"model_type\": \"gemma2\", \"sliding_window\": 4096,"
                                + " \"query_pre_attn_scalar\": 256,"
                                + " \"attn_logit_softcapping\": 50.0,"
                                + " \"final_logit_softcapping\": 30.0");
        assertEquals(
                List.of(
                        AttentionType.SLIDING,
                        AttentionType.FULL,
                        AttentionType.SLIDING,
                        AttentionType.FULL),
                gemma2.getLayerTypes());
        assertEquals(256.0, gemma2.getQueryPreAttnScalar());
        assertEquals(50.0, gemma2.getAttnLogitSoftcapping());
        assertEquals(30.0, gemma2.getFinalLogitSoftcapping());

        DecoderConfig qwen2 =
                parse(
                        4,
                        "\"model_type\": \"qwen2\", \"use_sliding_window\": true,"
                                + " \"sliding_window\": 32, \"max_window_layers\": 3");
        assertEquals(
                List.of(
                        AttentionType.FULL,
                        AttentionType.FULL,
                        AttentionType.FULL,
                        AttentionType.SLIDING),
                qwen2.getLayerTypes());
        DecoderConfig noWindow = parse(2, "\"model_type\": \"qwen2\", \"sliding_window\": 32");
        assertEquals(Collections.nCopies(2, AttentionType.FULL), noWindow.getLayerTypes());

        DecoderConfig mistral = parse(2, "\"model_type\": \"mistral\", \"sliding_window\": 8");
        assertEquals(Collections.nCopies(2, AttentionType.SLIDING), mistral.getLayerTypes());
        assertEquals(8, mistral.getSlidingWindow());
        DecoderConfig unlimited = parse(2, "\"model_type\": \"mistral\", \"sliding_window\": null");
        assertEquals(Collections.nCopies(2, AttentionType.FULL), unlimited.getLayerTypes());
    }

    @Test
    void mixtureOfExpertsSettingsAreRead() {
        DecoderConfig qwen =
                parse(
                        4,
                        "\"model_type\": \"qwen2_moe\", \"num_experts\": 8,"
                                + " \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 32,"
                                + " \"shared_expert_intermediate_size\": 64,"
                                + " \"decoder_sparse_step\": 2, \"mlp_only_layers\": [3]");
        assertEquals(8, qwen.getMoe().getNumExperts());
        assertEquals(64, qwen.getMoe().getSharedExpertIntermediateSize());
        assertFalse(qwen.getMoe().isNormTopKProb());
        assertFalse(qwen.getMoe().isSparse(0));
        assertTrue(qwen.getMoe().isSparse(1));
        assertFalse(qwen.getMoe().isSparse(2));
        assertFalse(qwen.getMoe().isSparse(3), "listed in mlp_only_layers");
        assertTrue(qwen.isQkvBias());
        DecoderConfig qwen3 =
                parse(
                        2,
                        "\"model_type\": \"qwen3_moe\", \"num_local_experts\": 4,"
                                + " \"num_experts_per_tok\": 2, \"moe_intermediate_size\": 32,"
                                + " \"norm_topk_prob\": true,"
                                + " \"shared_expert_intermediate_size\": 64");
        assertEquals(4, qwen3.getMoe().getNumExperts());
        assertTrue(qwen3.getMoe().isNormTopKProb());
        assertEquals(0, qwen3.getMoe().getSharedExpertIntermediateSize(), "Qwen3-MoE has none");
        assertTrue(qwen3.isQueryKeyNorm());
        DecoderConfig mixtral =
                parse(
                        2,
                        "\"model_type\": \"mixtral\", \"num_local_experts\": 8,"
                                + " \"num_experts_per_tok\": 2");
        assertEquals("block_sparse_moe", mixtral.getMoe().getBlockName());
        assertEquals(128, mixtral.getMoe().getExpertIntermediateSize());
        assertTrue(mixtral.getMoe().isNormTopKProb());
        assertNull(parse(2, "\"model_type\": \"llama\"").getMoe());
    }

    @Test
    void unsupportedFeaturesOfKnownFamiliesFailClearly() {
        assertRejected(
                "Unsupported rope scaling type 'yarn'",
                2,
                "\"model_type\": \"qwen2\", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4}");
        assertRejected(
                "Unsupported rope scaling type 'dynamic'",
                2,
                "\"model_type\": \"phi3\", \"rope_parameters\": {\"rope_type\": \"dynamic\","
                        + " \"rope_theta\": 10000.0, \"factor\": 2.0}");
        assertRejected("multimodal Gemma 3", 2, "\"model_type\": \"gemma3\", \"text_config\": {}");
        assertRejected(
                "use_bidirectional_attention",
                2,
                "\"model_type\": \"gemma3_text\", \"use_bidirectional_attention\": true");
        assertRejected(
                "unsupported hidden_act 'relu'",
                2,
                "\"model_type\": \"gemma2\", \"hidden_activation\": \"relu\"");
        assertRejected(
                "unsupported hidden_act 'gelu_pytorch_tanh'",
                2,
                "\"model_type\": \"mistral\", \"hidden_act\": \"gelu_pytorch_tanh\"");
        assertRejected(
                "num_experts_per_tok must be in [1, 2]",
                2,
                "\"model_type\": \"mixtral\", \"num_local_experts\": 2,"
                        + " \"num_experts_per_tok\": 3");
        assertRejected(
                "moe_intermediate_size",
                2,
                "\"model_type\": \"qwen3_moe\", \"num_experts\": 2, \"num_experts_per_tok\": 1");
        assertRejected(
                "Unsupported layer type 'chunked_attention'",
                2,
                "\"model_type\": \"ministral\", \"sliding_window\": 8, \"layer_types\":"
                        + " [\"full_attention\", \"chunked_attention\"]");
        assertRejected(
                "layer_types must list one type per layer",
                2,
                "\"model_type\": \"ministral\", \"layer_types\": [\"full_attention\"]");
        assertRejected(
                "sliding_window is 0",
                2,
                "\"model_type\": \"ministral\", \"layer_types\": [\"full_attention\","
                        + " \"sliding_attention\"]");
        assertRejected(
                "partial_rotary_factor 0.3125",
                2,
                "\"model_type\": \"phi3\", \"partial_rotary_factor\": 0.3125");
        assertRejected(
                "short_factor and long_factor of one length",
                2,
                "\"model_type\": \"phi3\", \"rope_scaling\": {\"type\": \"longrope\","
                        + " \"short_factor\": [1, 1], \"long_factor\": [1]}");
    }

    @Test
    void expertTensorsMissingFromAOneModulePerExpertCheckpointAreNamed() {
        FamilyFixture f = FamilyFixture.of("mixtral");
        InMemoryTensors tf4 = FamilyCheckpoints.toTransformers4Names(f, f.weights());
        tf4.remove("model.layers.1.block_sparse_moe.experts.3.w2.weight");
        try (NDManager manager = NDManager.newBaseManager()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> CheckpointLoader.load(f.config, tf4, null, manager));
            assertTrue(
                    e.getMessage()
                            .contains(
                                    "Missing tensor"
                                        + " model.layers.1.block_sparse_moe.experts.3.w2.weight"),
                    e.getMessage());
        }
        // the experts stored twice, stacked and one module per expert
        InMemoryTensors both = FamilyCheckpoints.toTransformers4Names(f, f.weights());
        InMemoryTensors stacked = FamilyCheckpoints.toMlxNames(f, f.weights());
        String name = "model.layers.0.block_sparse_moe.switch_mlp.up_proj.weight";
        both.putFloat(name, stacked.shape(name).getShape(), (float[]) stacked.raw(name));
        try (NDManager manager = NDManager.newBaseManager()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> CheckpointLoader.load(f.config, both, null, manager));
            assertTrue(e.getMessage().contains("stored twice"), e.getMessage());
        }
    }
}
