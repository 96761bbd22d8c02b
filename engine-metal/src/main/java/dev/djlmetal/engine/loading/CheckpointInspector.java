package dev.djlmetal.engine.loading;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.djlmetal.engine.spi.ModelArchitecture;
import dev.djlmetal.quant.MetalConfig;
import dev.djlmetal.quant.QuantSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Detects a checkpoint's format from {@code config.json} and its tensor names, and checks that
 * config, tensors and architecture agree. Every error names the file and tensor involved.
 */
public final class CheckpointInspector {

    private static final List<String> FLOAT_TYPES = Arrays.asList("F32", "F16", "BF16");
    private static final String SCALES = ".scales";

    private CheckpointInspector() {}

    /**
     * Inspects a checkpoint.
     *
     * @param config the parsed config.json
     * @param source the checkpoint tensors
     * @param architecture the architecture built from the config
     * @return the layout
     * @throws IllegalArgumentException naming the file, tensor and problem when the checkpoint is
     *     incomplete, has unexpected or misshapen tensors, or contradicts its config
     */
    public static CheckpointLayout inspect(
            JsonObject config, CheckpointTensors source, ModelArchitecture architecture) {
        CheckpointFormat format = detectFormat(config, source);
        MetalConfig quantization = readQuantization(config, format);
        Map<String, Shape> expected = architecture.expectedTensors();
        Map<String, QuantSpec> quantized = new LinkedHashMap<>();
        for (String name : new TreeSet<>(source.names())) {
            if (name.endsWith(SCALES) && !architecture.isIgnored(name)) {
                String module = name.substring(0, name.length() - SCALES.length());
                quantized.put(
                        module, checkQuantized(source, module, expected, quantization, format));
            }
        }
        CheckpointLayout layout = new CheckpointLayout(format, quantization, quantized);
        for (Map.Entry<String, Shape> e : expected.entrySet()) {
            if (!layout.isPackedWeight(e.getKey())) {
                checkFloat(source, e.getKey(), e.getValue(), architecture);
            }
        }
        for (String name : source.names()) {
            boolean known =
                    expected.containsKey(name)
                            || architecture.isIgnored(name)
                            || quantized.containsKey(CheckpointLayout.module(name));
            if (!known) {
                throw new IllegalArgumentException(
                        "Unexpected tensor "
                                + name
                                + " in "
                                + source.fileOf(name)
                                + ": model_type '"
                                + architecture.getModelType()
                                + "' of config.json has no such parameter");
            }
        }
        return layout;
    }

    private static CheckpointFormat detectFormat(JsonObject config, CheckpointTensors source) {
        JsonObject qc = object(config, "quantization_config");
        JsonObject mlx = object(config, "quantization");
        if (qc != null && qc.has("quant_method")) {
            String method = qc.get("quant_method").getAsString();
            if ("metal".equals(method)) {
                return CheckpointFormat.TRANSFORMERS;
            }
            if (mlx == null) {
                throw new IllegalArgumentException(
                        source.location()
                                + ": config.json quantization_config.quant_method '"
                                + method
                                + "' is not supported; supported: 'metal' (transformers) and"
                                + " MLX 'quantization' blocks");
            }
        }
        if (mlx != null || (qc != null && (qc.has("bits") || qc.has("group_size")))) {
            return CheckpointFormat.MLX;
        }
        for (String name : source.names()) {
            if (name.endsWith(SCALES)) {
                throw new IllegalArgumentException(
                        "Tensor "
                                + name
                                + " in "
                                + source.fileOf(name)
                                + " marks a quantized module, but config.json has neither"
                                + " quantization_config (quant_method 'metal') nor an MLX"
                                + " 'quantization' block giving bits and group_size");
            }
        }
        return CheckpointFormat.FLOAT;
    }

    private static MetalConfig readQuantization(JsonObject config, CheckpointFormat format) {
        switch (format) {
            case TRANSFORMERS:
                return MetalConfig.fromTransformersJson(object(config, "quantization_config"));
            case MLX:
                JsonObject mlx = object(config, "quantization");
                return MetalConfig.fromMlxJson(
                        mlx != null ? mlx : object(config, "quantization_config"));
            default:
                return null;
        }
    }

    private static QuantSpec checkQuantized(
            CheckpointTensors source,
            String module,
            Map<String, Shape> expected,
            MetalConfig quantization,
            CheckpointFormat format) {
        String scalesName = module + SCALES;
        String file = source.fileOf(scalesName);
        String weightName = module + ".weight";
        Shape logical = expected.get(weightName);
        if (logical == null || (logical.dimension() != 2 && logical.dimension() != 3)) {
            throw new IllegalArgumentException(
                    "Unexpected tensor "
                            + scalesName
                            + " in "
                            + file
                            + ": the model has no 2-D weight (or 3-D expert stack) "
                            + weightName
                            + " to quantize");
        }
        String biasName = module + "." + format.getBiasSuffix();
        if (!source.contains(biasName)) {
            String other = module + (format == CheckpointFormat.MLX ? ".qbiases" : ".biases");
            throw new IllegalArgumentException(
                    "Missing tensor "
                            + biasName
                            + " for quantized module "
                            + module
                            + " ("
                            + format
                            + " format"
                            + (source.contains(other)
                                    ? "; found " + other + ", which the other format uses"
                                    : "")
                            + ") in "
                            + source.location());
        }
        if (!source.contains(weightName)) {
            throw new IllegalArgumentException(
                    "Missing packed tensor "
                            + weightName
                            + " for "
                            + scalesName
                            + " in "
                            + source.location());
        }
        if (!"U32".equals(source.dtype(weightName))) {
            throw new IllegalArgumentException(
                    "Tensor "
                            + weightName
                            + " in "
                            + source.fileOf(weightName)
                            + " is "
                            + source.dtype(weightName)
                            + " but must be U32 (packed codes) because "
                            + scalesName
                            + " exists");
        }
        Optional<QuantSpec> spec = quantization.specFor(module);
        if (!spec.isPresent()) {
            throw new IllegalArgumentException(
                    "config.json keeps "
                            + module
                            + " in float, but "
                            + file
                            + " holds the quantized tensor "
                            + scalesName);
        }
        int bits = spec.get().getBits();
        int groupSize = spec.get().getGroupSize();
        int dims = logical.dimension();
        Shape stack = logical.slice(0, dims - 2);
        long rows = logical.get(dims - 2);
        long columns = logical.get(dims - 1);
        String specText = "bits=" + bits + ", group_size=" + groupSize;
        if (columns % groupSize != 0 || columns * bits % 32 != 0) {
            throw new IllegalArgumentException(
                    "config.json quantizes "
                            + module
                            + " with "
                            + specText
                            + ", but its "
                            + columns
                            + " input features are not divisible by the group size");
        }
        Shape packed = stack.addAll(new Shape(rows, columns * bits / 32));
        Shape groups = stack.addAll(new Shape(rows, columns / groupSize));
        Shape actualPacked = source.shape(weightName);
        if (!actualPacked.equals(packed)) {
            String hint = "";
            long width = actualPacked.get(actualPacked.dimension() - 1);
            if (actualPacked.dimension() == dims && width * 32 % columns == 0) {
                hint = " (its width fits bits=" + width * 32 / columns + ")";
            }
            throw new IllegalArgumentException(
                    "Tensor "
                            + weightName
                            + " in "
                            + source.fileOf(weightName)
                            + " has shape "
                            + actualPacked
                            + hint
                            + ", but config.json ("
                            + specText
                            + ") and the "
                            + logical
                            + " weight expect "
                            + packed);
        }
        for (String name : new String[] {scalesName, biasName}) {
            Shape actual = source.shape(name);
            if (!actual.equals(groups)) {
                throw new IllegalArgumentException(
                        "Tensor "
                                + name
                                + " in "
                                + source.fileOf(name)
                                + " has shape "
                                + actual
                                + ", but config.json ("
                                + specText
                                + ") and the "
                                + logical
                                + " weight expect "
                                + groups);
            }
            checkFloatType(source, name);
        }
        return spec.get();
    }

    private static void checkFloat(
            CheckpointTensors source, String name, Shape shape, ModelArchitecture architecture) {
        if (!source.contains(name)) {
            throw new IllegalArgumentException(
                    "Missing tensor "
                            + name
                            + " (shape "
                            + shape
                            + ") in "
                            + source.location()
                            + ": model_type '"
                            + architecture.getModelType()
                            + "' of config.json needs it");
        }
        if ("U32".equals(source.dtype(name))) {
            throw new IllegalArgumentException(
                    "Tensor "
                            + name
                            + " in "
                            + source.fileOf(name)
                            + " is U32 (packed codes) but "
                            + CheckpointLayout.module(name)
                            + SCALES
                            + " is missing");
        }
        checkFloatType(source, name);
        Shape actual = source.shape(name);
        if (!actual.equals(shape)) {
            throw new IllegalArgumentException(
                    "Tensor "
                            + name
                            + " in "
                            + source.fileOf(name)
                            + " has shape "
                            + actual
                            + ", but config.json implies "
                            + shape);
        }
    }

    private static void checkFloatType(CheckpointTensors source, String name) {
        String dtype = source.dtype(name);
        if (!FLOAT_TYPES.contains(dtype)) {
            throw new IllegalArgumentException(
                    "Tensor "
                            + name
                            + " in "
                            + source.fileOf(name)
                            + " has data type "
                            + dtype
                            + "; allowed: "
                            + FLOAT_TYPES);
        }
    }

    private static JsonObject object(JsonObject json, String key) {
        JsonElement e = json.get(key);
        return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
    }
}
