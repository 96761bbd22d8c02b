package dev.djlmetal.quant;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Reads and writes the checkpoint forms of {@link MetalConfig}: transformers' {@code
 * quantization_config} ({@code quant_method} "metal") and MLX's {@code quantization} object.
 */
final class MetalConfigJson {

    private static final String QUANT_METHOD = "quant_method";
    private static final String METAL = "metal";
    private static final String BITS = "bits";
    private static final String GROUP_SIZE = "group_size";
    private static final String MODULES_TO_NOT_CONVERT = "modules_to_not_convert";
    private static final String DEQUANTIZE = "dequantize";
    private static final String MODE = "mode";
    private static final String AFFINE = "affine";
    private static final Set<String> MLX_KEYS = Set.of(BITS, GROUP_SIZE, MODE);

    private MetalConfigJson() {}

    static MetalConfig fromTransformers(JsonObject json) {
        Objects.requireNonNull(json, "quantization_config");
        JsonElement method = json.get(QUANT_METHOD);
        if (method == null || !method.isJsonPrimitive() || !METAL.equals(method.getAsString())) {
            throw new IllegalArgumentException(
                    "Unsupported quantization_config."
                            + QUANT_METHOD
                            + "="
                            + method
                            + "; allowed values: [\"metal\"]");
        }
        MetalConfig.Builder builder = MetalConfig.builder();
        readSpecKeys(json, "quantization_config.", builder);
        JsonElement modules = json.get(MODULES_TO_NOT_CONVERT);
        if (modules != null && !modules.isJsonNull()) {
            builder.optModulesToNotConvert(
                    readStringList("quantization_config." + MODULES_TO_NOT_CONVERT, modules));
        }
        JsonElement dequantize = json.get(DEQUANTIZE);
        if (dequantize != null && !dequantize.isJsonNull()) {
            builder.optDequantize(readBoolean("quantization_config." + DEQUANTIZE, dequantize));
        }
        return builder.build();
    }

    static JsonObject toTransformers(MetalConfig config) {
        List<String> modules = new ArrayList<>(config.getModulesToNotConvert());
        for (Map.Entry<String, Optional<QuantSpec>> entry : config.getOverrides().entrySet()) {
            String path = entry.getKey();
            Optional<QuantSpec> spec = entry.getValue();
            if (spec.isEmpty()) {
                if (!modules.contains(path)) {
                    modules.add(path);
                }
            } else if (!spec.get().equals(config.getDefaultSpec())
                    || config.getModulesToNotConvert().stream()
                            .anyMatch(e -> MetalConfig.matches(e, path))) {
                throw new IllegalStateException(
                        "The override of module "
                                + path
                                + " ("
                                + spec.get()
                                + ") cannot be written as a transformers quantization_config,"
                                + " which has no per-module specs; write the MLX form instead");
            }
        }
        JsonObject json = new JsonObject();
        json.addProperty(QUANT_METHOD, METAL);
        json.addProperty(BITS, config.getBits());
        json.addProperty(GROUP_SIZE, config.getGroupSize());
        JsonArray array = new JsonArray();
        modules.forEach(array::add);
        json.add(MODULES_TO_NOT_CONVERT, array);
        json.addProperty(DEQUANTIZE, config.isDequantize());
        return json;
    }

    static MetalConfig fromMlx(JsonObject json) {
        Objects.requireNonNull(json, "quantization");
        checkMode("quantization." + MODE, json.get(MODE));
        MetalConfig.Builder builder =
                MetalConfig.builder().optModulesToNotConvert(List.of()).optQuantizeEmbeddings(true);
        readSpecKeys(json, "quantization.", builder);
        QuantSpec defaultSpec = builder.build().getDefaultSpec();
        for (Map.Entry<String, JsonElement> entry : json.entrySet()) {
            String path = entry.getKey();
            if (MLX_KEYS.contains(path)) {
                continue;
            }
            JsonElement value = entry.getValue();
            String name = "quantization[\"" + path + "\"]";
            if (value.isJsonObject()) {
                builder.optModuleOverride(path, readOverride(name, value.getAsJsonObject()));
            } else if (isBoolean(value)) {
                if (value.getAsBoolean()) {
                    builder.optModuleOverride(path, defaultSpec);
                } else {
                    builder.optKeepFloat(path);
                }
            } else {
                throw new IllegalArgumentException(
                        "Unsupported "
                                + name
                                + "="
                                + value
                                + "; allowed values: {\"bits\": b, \"group_size\": g}, true or"
                                + " false");
            }
        }
        return builder.build();
    }

    static JsonObject toMlx(MetalConfig config) {
        JsonObject json = new JsonObject();
        json.addProperty(GROUP_SIZE, config.getGroupSize());
        json.addProperty(BITS, config.getBits());
        json.addProperty(MODE, AFFINE);
        for (String entry : config.getModulesToNotConvert()) {
            if (!config.getOverrides().containsKey(entry)) {
                json.addProperty(entry, false);
            }
        }
        for (Map.Entry<String, Optional<QuantSpec>> entry : config.getOverrides().entrySet()) {
            Optional<QuantSpec> spec = entry.getValue();
            if (spec.isPresent()) {
                JsonObject layer = new JsonObject();
                layer.addProperty(GROUP_SIZE, spec.get().getGroupSize());
                layer.addProperty(BITS, spec.get().getBits());
                json.add(entry.getKey(), layer);
            } else {
                json.addProperty(entry.getKey(), false);
            }
        }
        return json;
    }

    private static void readSpecKeys(JsonObject json, String prefix, MetalConfig.Builder builder) {
        JsonElement bits = json.get(BITS);
        if (bits != null && !bits.isJsonNull()) {
            builder.optBits(readInt(prefix + BITS, bits, QuantSpec.SUPPORTED_BITS));
        }
        JsonElement groupSize = json.get(GROUP_SIZE);
        if (groupSize != null && !groupSize.isJsonNull()) {
            builder.optGroupSize(
                    readInt(prefix + GROUP_SIZE, groupSize, QuantSpec.SUPPORTED_GROUP_SIZES));
        }
    }

    private static QuantSpec readOverride(String name, JsonObject layer) {
        checkMode(name + "." + MODE, layer.get(MODE));
        JsonElement bits = layer.get(BITS);
        JsonElement groupSize = layer.get(GROUP_SIZE);
        if (bits == null || groupSize == null) {
            throw new IllegalArgumentException(
                    "Unsupported "
                            + name
                            + "="
                            + layer
                            + "; a per-module entry needs both \"bits\" and \"group_size\"");
        }
        return QuantSpec.of(
                readInt(name + "." + BITS, bits, QuantSpec.SUPPORTED_BITS),
                readInt(name + "." + GROUP_SIZE, groupSize, QuantSpec.SUPPORTED_GROUP_SIZES));
    }

    private static void checkMode(String name, JsonElement mode) {
        if (mode == null || mode.isJsonNull()) {
            return;
        }
        if (!mode.isJsonPrimitive() || !AFFINE.equals(mode.getAsString())) {
            throw new IllegalArgumentException(
                    "Unsupported "
                            + name
                            + "="
                            + mode
                            + "; djl-metal supports only affine group quantization, allowed"
                            + " values: [\"affine\"]");
        }
    }

    private static int readInt(String name, JsonElement value, int[] allowed) {
        if (!value.isJsonPrimitive() || isBoolean(value)) {
            return MetalConfigOptions.parseInt(name, value.toString(), allowed);
        }
        JsonPrimitive primitive = value.getAsJsonPrimitive();
        Object raw = primitive.isNumber() ? primitive.getAsNumber() : primitive.getAsString();
        return MetalConfigOptions.parseInt(name, raw, allowed);
    }

    private static boolean readBoolean(String name, JsonElement value) {
        Object raw = isBoolean(value) ? value.getAsBoolean() : value.toString();
        return MetalConfigOptions.parseBoolean(name, raw);
    }

    private static List<String> readStringList(String name, JsonElement value) {
        if (!value.isJsonArray()) {
            throw new IllegalArgumentException(
                    "Unsupported "
                            + name
                            + "="
                            + value
                            + "; allowed values: a list of module names");
        }
        List<String> list = new ArrayList<>();
        for (JsonElement item : value.getAsJsonArray()) {
            if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException(
                        "Unsupported " + name + " entry " + item + "; allowed values: strings");
            }
            list.add(item.getAsString());
        }
        return list;
    }

    private static boolean isBoolean(JsonElement value) {
        return value.isJsonPrimitive() && value.getAsJsonPrimitive().isBoolean();
    }
}
