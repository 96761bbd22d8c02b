package dev.djlmetal.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.backend.BackendKind;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class MetalConfigTest {

    /** The "quantization" block of an mlx-lm config.json with mixed-precision per-layer entries. */
    private static final String MLX_BLOCK =
            "{\"group_size\": 64, \"bits\": 4, \"mode\": \"affine\","
                    + " \"model.embed_tokens\": {\"group_size\": 32, \"bits\": 6},"
                    + " \"model.layers.0.mlp.down_proj\": {\"group_size\": 64, \"bits\": 8},"
                    + " \"model.layers.1.self_attn.v_proj\": {\"group_size\": 128, \"bits\": 3},"
                    + " \"model.layers.0.mlp.gate\": false,"
                    + " \"lm_head\": {\"group_size\": 64, \"bits\": 6}}";

    /** A transformers quantization_config written by MetalConfig (quant_method "metal"). */
    private static final String TRANSFORMERS_BLOCK =
            "{\"quant_method\": \"metal\", \"bits\": 2, \"group_size\": 32,"
                    + " \"modules_to_not_convert\": [\"lm_head\", \"mlp.gate\"],"
                    + " \"dequantize\": true}";

    private static JsonObject json(String text) {
        return JsonParser.parseString(text).getAsJsonObject();
    }

    private static void assertFails(String expectedMessage, Executable executable) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, executable);
        assertEquals(expectedMessage, e.getMessage());
    }

    private static void assertFailsContaining(Executable executable, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, executable);
        for (String fragment : fragments) {
            assertTrue(
                    e.getMessage().contains(fragment),
                    () -> "message \"" + e.getMessage() + "\" lacks \"" + fragment + "\"");
        }
    }

    @Test
    void defaults() {
        MetalConfig config = MetalConfig.builder().build();
        assertEquals(4, config.getBits());
        assertEquals(64, config.getGroupSize());
        assertEquals(QuantSpec.of(4, 64), config.getDefaultSpec());
        assertEquals(List.of("lm_head"), config.getModulesToNotConvert());
        assertFalse(config.isDequantize());
        assertEquals(BackendKind.AUTO, config.getBackend());
        assertFalse(config.isCacheDequantized());
        assertFalse(config.isQuantizeEmbeddings());
        assertTrue(config.getOverrides().isEmpty());
        assertFalse(config.toBackendSettings().isCacheDequantized());
        assertEquals(config, MetalConfig.fromOptions(Map.of()));
        assertEquals(config, MetalConfig.fromOptions(null));
    }

    @Test
    void builderSetsEverySetting() {
        MetalConfig config =
                MetalConfig.builder()
                        .optBits(3)
                        .optGroupSize(128)
                        .optModulesToNotConvert(List.of("a", "b.c"))
                        .optDequantize(true)
                        .optBackend(BackendKind.CPU)
                        .optCacheDequantized(true)
                        .optQuantizeEmbeddings(true)
                        .optModuleOverride("x.y", QuantSpec.of(8, 32))
                        .optKeepFloat("x.z")
                        .build();
        assertEquals(QuantSpec.of(3, 128), config.getDefaultSpec());
        assertEquals(List.of("a", "b.c"), config.getModulesToNotConvert());
        assertTrue(config.isDequantize());
        assertEquals(BackendKind.CPU, config.getBackend());
        assertTrue(config.isCacheDequantized());
        assertTrue(config.toBackendSettings().isCacheDequantized());
        assertTrue(config.isQuantizeEmbeddings());
        assertEquals(
                Map.of("x.y", Optional.of(QuantSpec.of(8, 32)), "x.z", Optional.empty()),
                config.getOverrides());
        assertEquals(config, config.toBuilder().build());
        assertThrows(UnsupportedOperationException.class, () -> config.getOverrides().clear());
        assertThrows(
                UnsupportedOperationException.class,
                () -> config.getModulesToNotConvert().add("q"));
    }

    @Test
    void builderRejectsUnsupportedValues() {
        assertFails(
                "Unsupported bits=7; allowed values: [2, 3, 4, 5, 6, 8]",
                () -> MetalConfig.builder().optBits(7));
        assertFails(
                "Unsupported group_size=16; allowed values: [32, 64, 128]",
                () -> MetalConfig.builder().optGroupSize(16));
        assertFailsContaining(
                () -> MetalConfig.builder().optModulesToNotConvert(List.of("lm_head", " ")),
                "modules_to_not_convert",
                "\" \"");
        assertFailsContaining(
                () -> MetalConfig.builder().optKeepFloat("model..layers"), "model..layers");
        assertFailsContaining(
                () -> MetalConfig.builder().optModuleOverride(".x", QuantSpec.of(4, 64)), ".x");
    }

    @Test
    void optionsInEverySpelling() {
        Map<String, Object> camel = new HashMap<>();
        camel.put("bits", "8");
        camel.put("groupSize", "32");
        camel.put("modulesToNotConvert", "lm_head, mlp.gate ,model.layers.0");
        camel.put("dequantize", "TRUE");
        camel.put("backend", "ndarray");
        camel.put("cacheDequantized", "true");
        camel.put("quantizeEmbeddings", "true");
        camel.put("format", "mlx");
        MetalConfig expected =
                MetalConfig.builder()
                        .optBits(8)
                        .optGroupSize(32)
                        .optModulesToNotConvert(List.of("lm_head", "mlp.gate", "model.layers.0"))
                        .optDequantize(true)
                        .optBackend(BackendKind.NDARRAY)
                        .optCacheDequantized(true)
                        .optQuantizeEmbeddings(true)
                        .build();
        assertEquals(expected, MetalConfig.fromOptions(camel));

        Map<String, Object> snake = new HashMap<>();
        snake.put("bits", 8);
        snake.put("group_size", 32L);
        snake.put("modules_to_not_convert", List.of("lm_head", "mlp.gate", "model.layers.0"));
        snake.put("dequantize", Boolean.TRUE);
        snake.put("backend", BackendKind.NDARRAY);
        snake.put("cache_dequantized", true);
        snake.put("quantize_embeddings", "True");
        snake.put("translatorFactory", "some.Factory");
        assertEquals(expected, MetalConfig.fromOptions(snake));
    }

    @Test
    void optionValueForms() {
        assertEquals(
                List.of(),
                MetalConfig.fromOptions(Map.of("modules_to_not_convert", ""))
                        .getModulesToNotConvert());
        assertEquals(
                List.of("a", "b"),
                MetalConfig.fromOptions(Map.of("modulesToNotConvert", new String[] {"a", "b"}))
                        .getModulesToNotConvert());
        assertEquals(6, MetalConfig.fromOptions(Map.of("bits", " 6 ")).getBits());
        assertEquals(5, MetalConfig.fromOptions(Map.of("bits", 5.0)).getBits());
        assertEquals(
                BackendKind.METAL_EMULATED,
                MetalConfig.fromOptions(Map.of("backend", "Metal_Emulated")).getBackend());
        assertEquals(
                BackendKind.NDARRAY,
                MetalConfig.fromOptions(Map.of("backend", "portable")).getBackend());
        assertEquals(
                128,
                MetalConfig.fromOptions(Map.of("groupSize", "128", "group_size", 128))
                        .getGroupSize());
    }

    @Test
    void invalidOptionValuesNameOptionValueAndAllowedValues() {
        assertFails(
                "Unsupported bits=7; allowed values: [2, 3, 4, 5, 6, 8]",
                () -> MetalConfig.fromOptions(Map.of("bits", "7")));
        assertFails(
                "Unsupported bits=four; allowed values: [2, 3, 4, 5, 6, 8]",
                () -> MetalConfig.fromOptions(Map.of("bits", "four")));
        assertFails(
                "Unsupported bits=4.5; allowed values: [2, 3, 4, 5, 6, 8]",
                () -> MetalConfig.fromOptions(Map.of("bits", 4.5)));
        assertFails(
                "Unsupported groupSize=48; allowed values: [32, 64, 128]",
                () -> MetalConfig.fromOptions(Map.of("groupSize", "48")));
        assertFails(
                "Unsupported group_size=x; allowed values: [32, 64, 128]",
                () -> MetalConfig.fromOptions(Map.of("group_size", "x")));
        assertFails(
                "Unsupported dequantize=yes; allowed values: [true, false]",
                () -> MetalConfig.fromOptions(Map.of("dequantize", "yes")));
        assertFails(
                "Unsupported cache_dequantized=1; allowed values: [true, false]",
                () -> MetalConfig.fromOptions(Map.of("cache_dequantized", 1)));
        assertFails(
                "Unsupported quantizeEmbeddings=on; allowed values: [true, false]",
                () -> MetalConfig.fromOptions(Map.of("quantizeEmbeddings", "on")));
        assertFails(
                "Unsupported quantization=gptq; allowed values: [true, false, metal]",
                () -> MetalConfig.fromOptions(Map.of("quantization", "gptq")));
        assertFailsContaining(
                () -> MetalConfig.fromOptions(Map.of("backend", "cuda")),
                "backend=cuda",
                "auto, metal, metal-emulated, cpu, ndarray");
        assertFailsContaining(
                () -> MetalConfig.fromOptions(Map.of("modulesToNotConvert", "lm_head,,x")),
                "modules_to_not_convert",
                "\"\"");
        assertFails(
                "Conflicting options groupSize=32 and group_size=64; give only one of them",
                () -> MetalConfig.fromOptions(Map.of("groupSize", "32", "group_size", "64")));
    }

    @Test
    void requestsQuantization() {
        assertFalse(MetalConfig.requestsQuantization(null));
        assertFalse(MetalConfig.requestsQuantization(Map.of("backend", "cpu")));
        assertTrue(MetalConfig.requestsQuantization(Map.of("bits", "4")));
        assertTrue(MetalConfig.requestsQuantization(Map.of("quantization", "metal")));
        assertTrue(MetalConfig.requestsQuantization(Map.of("quantization", true)));
        assertFalse(MetalConfig.requestsQuantization(Map.of("quantization", "false")));
        assertFailsContaining(
                () -> MetalConfig.requestsQuantization(Map.of("quantization", "yes")),
                "quantization=yes");
    }

    @Test
    void optionNamesListEverySpellingParsed() {
        assertEquals(
                List.of(
                        "quantization",
                        "bits",
                        "groupSize",
                        "group_size",
                        "modulesToNotConvert",
                        "modules_to_not_convert",
                        "dequantize",
                        "backend",
                        "cacheDequantized",
                        "cache_dequantized",
                        "quantizeEmbeddings",
                        "quantize_embeddings"),
                List.copyOf(MetalConfig.optionNames()));
        assertFalse(MetalConfig.optionNames().contains("format"));
    }

    @Test
    void modulesToNotConvertMatchWholePathSegments() {
        MetalConfig config =
                MetalConfig.builder()
                        .optModulesToNotConvert(List.of("lm_head", "mlp.down_proj", "layers.5"))
                        .build();
        Optional<QuantSpec> quantized = Optional.of(QuantSpec.of(4, 64));
        assertEquals(Optional.empty(), config.specFor("lm_head"));
        assertEquals(Optional.empty(), config.specFor("model.lm_head"));
        assertEquals(Optional.empty(), config.specFor("model.layers.3.mlp.down_proj"));
        assertEquals(Optional.empty(), config.specFor("model.layers.5.self_attn.q_proj"));
        assertEquals(quantized, config.specFor("model.layers.3.mlp.up_proj"));
        assertEquals(quantized, config.specFor("model.layers.3.down_proj"));
        assertEquals(quantized, config.specFor("model.layers.50.mlp.up_proj"));
        assertEquals(quantized, config.specFor("model.lm_head_extra"));
        assertEquals(quantized, config.specFor("model.layers.3.xmlp.down_proj"));

        MetalConfig prefix =
                MetalConfig.builder().optModulesToNotConvert(List.of("model.layers.0")).build();
        assertEquals(Optional.empty(), prefix.specFor("model.layers.0.mlp.gate_proj"));
        assertEquals(quantized, prefix.specFor("model.layers.1.mlp.gate_proj"));
        assertEquals(quantized, prefix.specFor("model.layers.01.mlp.gate_proj"));

        MetalConfig everything = MetalConfig.builder().optModulesToNotConvert(List.of()).build();
        assertEquals(quantized, everything.specFor("lm_head"));
    }

    @Test
    void exactOverrideBeatsModulesToNotConvert() {
        QuantSpec eight = QuantSpec.of(8, 32);
        MetalConfig config =
                MetalConfig.builder()
                        .optBits(2)
                        .optModulesToNotConvert(List.of("lm_head", "mlp"))
                        .optModuleOverride("lm_head", eight)
                        .optKeepFloat("model.layers.0.self_attn.q_proj")
                        .build();
        assertEquals(Optional.of(eight), config.specFor("lm_head"));
        assertEquals(Optional.empty(), config.specFor("model.lm_head"));
        assertEquals(Optional.empty(), config.specFor("model.layers.0.self_attn.q_proj"));
        assertEquals(Optional.empty(), config.specFor("model.layers.0.mlp.up_proj"));
        assertEquals(
                Optional.of(QuantSpec.of(2, 64)),
                config.specFor("model.layers.1.self_attn.q_proj"));
    }

    @Test
    void parsesMlxQuantizationBlock() {
        MetalConfig config = MetalConfig.fromMlxJson(json(MLX_BLOCK));
        assertEquals(QuantSpec.of(4, 64), config.getDefaultSpec());
        assertTrue(config.isQuantizeEmbeddings());
        assertEquals(List.of(), config.getModulesToNotConvert());
        assertFalse(config.isDequantize());
        assertEquals(5, config.getOverrides().size());
        assertEquals(Optional.of(QuantSpec.of(6, 32)), config.specFor("model.embed_tokens"));
        assertEquals(
                Optional.of(QuantSpec.of(8, 64)), config.specFor("model.layers.0.mlp.down_proj"));
        assertEquals(
                Optional.of(QuantSpec.of(3, 128)),
                config.specFor("model.layers.1.self_attn.v_proj"));
        assertEquals(Optional.empty(), config.specFor("model.layers.0.mlp.gate"));
        assertEquals(Optional.of(QuantSpec.of(6, 64)), config.specFor("lm_head"));
        assertEquals(
                Optional.of(QuantSpec.of(4, 64)), config.specFor("model.layers.1.mlp.down_proj"));
    }

    @Test
    void parsesMlxBlockWithoutModeAndTrueEntry() {
        MetalConfig config =
                MetalConfig.fromMlxJson(
                        json(
                                "{\"model.layers.2.mlp.up_proj\": true, \"bits\": 8,"
                                        + " \"group_size\": 32}"));
        assertEquals(QuantSpec.of(8, 32), config.getDefaultSpec());
        assertEquals(
                Optional.of(QuantSpec.of(8, 32)),
                config.getOverrides().get("model.layers.2.mlp.up_proj"));
    }

    @Test
    void rejectsUnsupportedMlxBlocks() {
        assertFails(
                "Unsupported quantization.mode=\"mxfp4\"; djl-metal supports only affine group"
                        + " quantization, allowed values: [\"affine\"]",
                () -> MetalConfig.fromMlxJson(json("{\"bits\": 4, \"mode\": \"mxfp4\"}")));
        assertFails(
                "Unsupported quantization.bits=7; allowed values: [2, 3, 4, 5, 6, 8]",
                () -> MetalConfig.fromMlxJson(json("{\"bits\": 7, \"group_size\": 64}")));
        JsonObject badGroup = json("{\"bits\": 4, \"a.b\": {\"bits\": 4, \"group_size\": 100}}");
        assertFails(
                "Unsupported quantization[\"a.b\"].group_size=100;"
                        + " allowed values: [32, 64, 128]",
                () -> MetalConfig.fromMlxJson(badGroup));
        assertFailsContaining(
                () -> MetalConfig.fromMlxJson(json("{\"bits\": 4, \"a.b\": {\"bits\": 4}}")),
                "quantization[\"a.b\"]",
                "\"bits\" and \"group_size\"");
        assertFailsContaining(
                () -> MetalConfig.fromMlxJson(json("{\"bits\": 4, \"quant_method\": \"x\"}")),
                "quantization[\"quant_method\"]=\"x\"",
                "false");
        assertFailsContaining(
                () ->
                        MetalConfig.fromMlxJson(
                                json(
                                        "{\"a\": {\"bits\": 4, \"group_size\": 64,"
                                                + " \"mode\": \"nvfp4\"}}")),
                "quantization[\"a\"].mode=\"nvfp4\"");
    }

    @Test
    void mlxRoundTripKeepsOverrides() {
        JsonObject original = json(MLX_BLOCK);
        MetalConfig config = MetalConfig.fromMlxJson(original);
        assertEquals(original, config.toMlxJson());
        assertEquals(config, MetalConfig.fromMlxJson(config.toMlxJson()));
    }

    @Test
    void mlxFormWritesModulesToNotConvertAsExactEntries() {
        MetalConfig config =
                MetalConfig.builder()
                        .optBits(5)
                        .optGroupSize(128)
                        .optModuleOverride("model.layers.0.mlp.up_proj", QuantSpec.of(8, 64))
                        .build();
        JsonObject expected =
                json(
                        "{\"group_size\": 128, \"bits\": 5, \"mode\": \"affine\", \"lm_head\":"
                                + " false, \"model.layers.0.mlp.up_proj\": {\"group_size\": 64,"
                                + " \"bits\": 8}}");
        assertEquals(expected, config.toMlxJson());
        MetalConfig back = MetalConfig.fromMlxJson(config.toMlxJson());
        assertEquals(Optional.empty(), back.specFor("lm_head"));
        assertEquals(Optional.of(QuantSpec.of(8, 64)), back.specFor("model.layers.0.mlp.up_proj"));
        assertEquals(Optional.of(QuantSpec.of(5, 128)), back.specFor("model.layers.0.mlp.gate"));
    }

    @Test
    void parsesTransformersBlock() {
        MetalConfig config = MetalConfig.fromTransformersJson(json(TRANSFORMERS_BLOCK));
        assertEquals(QuantSpec.of(2, 32), config.getDefaultSpec());
        assertEquals(List.of("lm_head", "mlp.gate"), config.getModulesToNotConvert());
        assertTrue(config.isDequantize());
        assertFalse(config.isQuantizeEmbeddings());
        assertTrue(config.getOverrides().isEmpty());
        assertEquals(Optional.empty(), config.specFor("model.layers.7.mlp.gate"));
        assertEquals(
                Optional.of(QuantSpec.of(2, 32)), config.specFor("model.layers.7.mlp.up_proj"));
    }

    @Test
    void transformersDefaultsWhenKeysAreNullOrAbsent() {
        MetalConfig config =
                MetalConfig.fromTransformersJson(
                        json("{\"quant_method\": \"metal\", \"modules_to_not_convert\": null}"));
        assertEquals(MetalConfig.builder().build(), config);
        MetalConfig empty =
                MetalConfig.fromTransformersJson(
                        json("{\"quant_method\": \"metal\", \"modules_to_not_convert\": []}"));
        assertEquals(List.of(), empty.getModulesToNotConvert());
    }

    @Test
    void rejectsUnsupportedTransformersBlocks() {
        assertFails(
                "Unsupported quantization_config.quant_method=\"awq\"; allowed values: [\"metal\"]",
                () -> MetalConfig.fromTransformersJson(json("{\"quant_method\": \"awq\"}")));
        assertFails(
                "Unsupported quantization_config.quant_method=null; allowed values: [\"metal\"]",
                () -> MetalConfig.fromTransformersJson(json("{\"bits\": 4}")));
        assertFails(
                "Unsupported quantization_config.bits=3.5; allowed values: [2, 3, 4, 5, 6, 8]",
                () ->
                        MetalConfig.fromTransformersJson(
                                json("{\"quant_method\": \"metal\", \"bits\": 3.5}")));
        assertFails(
                "Unsupported quantization_config.dequantize=\"yes\"; allowed values: [true, false]",
                () ->
                        MetalConfig.fromTransformersJson(
                                json("{\"quant_method\": \"metal\", \"dequantize\": \"yes\"}")));
        assertFailsContaining(
                () ->
                        MetalConfig.fromTransformersJson(
                                json(
                                        "{\"quant_method\": \"metal\","
                                                + " \"modules_to_not_convert\": \"lm_head\"}")),
                "quantization_config.modules_to_not_convert=\"lm_head\"",
                "list");
    }

    @Test
    void transformersRoundTrip() {
        JsonObject original = json(TRANSFORMERS_BLOCK);
        MetalConfig config = MetalConfig.fromTransformersJson(original);
        assertEquals(original, config.toTransformersJson());
        assertEquals(config, MetalConfig.fromTransformersJson(config.toTransformersJson()));
    }

    @Test
    void transformersFormFoldsKeepFloatOverridesAndRejectsSpecOverrides() {
        MetalConfig keepFloat =
                MetalConfig.builder().optKeepFloat("model.layers.0.mlp.down_proj").build();
        MetalConfig back = MetalConfig.fromTransformersJson(keepFloat.toTransformersJson());
        assertEquals(
                List.of("lm_head", "model.layers.0.mlp.down_proj"), back.getModulesToNotConvert());
        assertEquals(Optional.empty(), back.specFor("model.layers.0.mlp.down_proj"));

        MetalConfig mixed =
                MetalConfig.builder()
                        .optModuleOverride("model.layers.0.mlp.down_proj", QuantSpec.of(8, 64))
                        .build();
        IllegalStateException e =
                assertThrows(IllegalStateException.class, mixed::toTransformersJson);
        assertTrue(e.getMessage().contains("model.layers.0.mlp.down_proj"), e.getMessage());
    }

    @Test
    void equalConfigsHashEqually() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("bits", "2");
        MetalConfig a = MetalConfig.fromOptions(options);
        MetalConfig b = MetalConfig.builder().optBits(2).build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertFalse(a.equals(MetalConfig.builder().build()));
        assertSame(BackendKind.AUTO, a.getBackend());
    }
}
