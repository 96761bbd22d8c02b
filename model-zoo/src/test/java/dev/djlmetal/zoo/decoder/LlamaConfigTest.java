package dev.djlmetal.zoo.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LlamaConfigTest {

    private static final String BASE =
            "\"hidden_size\": 64, \"intermediate_size\": 128, \"num_hidden_layers\": 2,"
                    + " \"num_attention_heads\": 8, \"vocab_size\": 100";

    private static DecoderConfig parse(String fields) {
        return DecoderConfig.fromJson("{" + BASE + (fields.isEmpty() ? "" : ", ") + fields + "}");
    }

    @Test
    void readsTransformers4Style() {
        DecoderConfig c =
                parse(
                        "\"model_type\": \"llama\", \"num_key_value_heads\": 2,"
                                + " \"rope_theta\": 500000.0, \"rms_norm_eps\": 1e-5,"
                                + " \"tie_word_embeddings\": true, \"eos_token_id\": [2, 7],"
                                + " \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}");
        assertEquals("llama", c.getModelType());
        assertEquals(8, c.getHeadDim());
        assertEquals(2, c.getNumKeyValueHeads());
        assertEquals(500000.0, c.getRope().getTheta());
        assertEquals("linear", c.getRope().getType());
        assertEquals(2.0, c.getRope().getFactor());
        assertEquals(1e-5, c.getRmsNormEps());
        assertTrue(c.isTieWordEmbeddings());
        assertFalse(c.isQkvBias());
        assertEquals(Arrays.asList(2L, 7L), c.getEosTokenIds());
    }

    @Test
    void readsTransformers5Style() {
        DecoderConfig c =
                parse(
                        "\"model_type\": \"llama\", \"head_dim\": 16, \"rope_parameters\":"
                                + " {\"rope_theta\": 1000.0, \"rope_type\": \"llama3\","
                                + " \"factor\": 8.0, \"low_freq_factor\": 1.0,"
                                + " \"high_freq_factor\": 4.0,"
                                + " \"original_max_position_embeddings\": 8192}");
        assertEquals(16, c.getHeadDim());
        assertEquals(8, c.getNumKeyValueHeads());
        assertEquals(1000.0, c.getRope().getTheta());
        assertEquals("llama3", c.getRope().getType());
        assertEquals(8.0, c.getRope().getFactor());
        assertEquals(1.0, c.getRope().getLowFreqFactor());
        assertEquals(4.0, c.getRope().getHighFreqFactor());
        assertEquals(8192.0, c.getRope().getOriginalMaxPositionEmbeddings());
        assertFalse(c.isTieWordEmbeddings());
        // theta 1000, head_dim 16: wave lengths 2 pi 1000^(i/8) are all below 8192 / 4 = 2048
        // (kept) except the last, 2649.6, between 2048 and 8192: blended with
        // s = (8192 / 2649.6 - 1) / (4 - 1)
        double[] inv = c.getRope().inverseFrequencies(c.getHeadDim());
        assertEquals(8, inv.length);
        for (int i = 0; i < 7; i++) {
            assertEquals(Math.pow(1000, -i / 8.0), inv[i], 1e-15, "frequency " + i);
        }
        double base = Math.pow(1000, -7 / 8.0);
        double s = (8192 / (2 * Math.PI / base) - 1) / 3;
        assertEquals((1 - s) * base / 8 + s * base, inv[7], 1e-15, "blended frequency");
    }

    @Test
    void readsLlama3RopeScalingInTransformers4Style() {
        DecoderConfig c =
                parse(
                        "\"model_type\": \"llama\", \"rope_theta\": 500000.0, \"rope_scaling\":"
                                + " {\"rope_type\": \"llama3\", \"factor\": 32.0,"
                                + " \"low_freq_factor\": 2.0, \"high_freq_factor\": 6.0,"
                                + " \"original_max_position_embeddings\": 4096}");
        assertEquals(500000.0, c.getRope().getTheta());
        assertEquals("llama3", c.getRope().getType());
        assertEquals(32.0, c.getRope().getFactor());
        assertEquals(2.0, c.getRope().getLowFreqFactor());
        assertEquals(6.0, c.getRope().getHighFreqFactor());
        assertEquals(4096.0, c.getRope().getOriginalMaxPositionEmbeddings());
    }

    @Test
    void qwen2HasQkvBiasesButNoOutputBias() {
        DecoderConfig c = parse("\"model_type\": \"qwen2\"");
        assertTrue(c.isQkvBias());
        assertFalse(c.isOutputBias());
        DecoderConfig llama = parse("\"model_type\": \"llama\", \"attention_bias\": true");
        assertTrue(llama.isQkvBias());
        assertTrue(llama.isOutputBias());
        assertEquals("mistral", parse("\"model_type\": \"mistral\"").getModelType());
    }

    @Test
    void defaultInverseFrequenciesAreHandComputed() {
        double[] inv = RopeScaling.none(10000).inverseFrequencies(8);
        assertArrayEquals(new double[] {1, 0.1, 0.01, 0.001}, inv, 1e-15);
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        double[] inv = RopeScaling.linear(10000, 4).inverseFrequencies(8);
        assertArrayEquals(new double[] {0.25, 0.025, 0.0025, 0.00025}, inv, 1e-15);
    }

    @Test
    void llama3ScalingKeepsHighDividesLowAndBlendsMediumFrequencies() {
        // wave lengths 2*pi/f: 6.28 (< 64/4 = 16: kept), 62.8 (between 16 and 64: blended),
        // 628 and 6283 (> 64/1: divided by 8); blend s = (64 / 62.83 - 1) / (4 - 1).
        double[] inv = RopeScaling.llama3(10000, 8, 1, 4, 64).inverseFrequencies(8);
        assertArrayEquals(new double[] {1, 0.013042256043820465, 0.00125, 0.000125}, inv, 1e-15);
    }

    @Test
    void unsupportedModelTypeNamesItAndTheSupportedOnes() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> parse("\"model_type\": \"gpt2\""));
        assertTrue(e.getMessage().contains("gpt2"), e.getMessage());
        assertTrue(
                e.getMessage()
                        .contains(
                                "[gemma2, gemma3, gemma3_text, llama, ministral, mistral, mixtral,"
                                        + " phi3, qwen2, qwen2_moe, qwen3, qwen3_moe]"),
                e.getMessage());
    }

    @Test
    void unsupportedFieldsAreRejectedClearly() {
        assertMessage("gelu", "\"model_type\": \"llama\", \"hidden_act\": \"gelu\"");
        assertMessage(
                "yarn",
                "\"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 2}");
        assertMessage(
                "num_key_value_heads 3", "\"model_type\": \"llama\", \"num_key_value_heads\": 3");
        assertMessage(
                "intermediate_size", "\"model_type\": \"llama\", \"intermediate_size\": null");
        assertMessage(
                "factor",
                "\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"linear\"}");
    }

    private static void assertMessage(String expected, String fields) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> parse(fields));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
