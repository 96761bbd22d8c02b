package dev.djlmetal.engine.loading;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.djlmetal.engine.spi.Architectures;
import dev.djlmetal.engine.spi.ModelArchitecture;
import dev.djlmetal.nn.BlockPaths;
import dev.djlmetal.quant.MetalConfig;
import dev.djlmetal.quant.QuantSpec;
import dev.djlmetal.quant.QuantizedTensor;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a checkpoint into the block tree of its architecture, whatever its format: float, a
 * transformers "metal" checkpoint or an MLX checkpoint.
 *
 * <p>The architecture comes from {@code config.json}'s {@code model_type} through the {@link
 * dev.djlmetal.engine.spi.ArchitectureProvider} SPI; the format from the config and the tensor
 * names ({@link CheckpointInspector}), after the architecture has mapped the checkpoint's layout to
 * its own ({@link ModelArchitecture#toModelLayout}). Float tensors (F32, F16, BF16) become FLOAT32
 * parameters; a 3-D quantized tensor is the stacked experts of a mixture-of-experts layer.
 * Pre-quantized modules keep their codes (no re-quantizing) or, with {@code dequantize=true},
 * become float matrices. A float checkpoint is quantized on the fly when the options ask for it
 * ({@code bits} or {@code quantization}). The loader logs exactly one line saying which happened.
 *
 * <p>On failure nothing stays allocated: every array is created under a sub-manager of the given
 * manager, which is closed when loading fails.
 */
public final class CheckpointLoader {

    private static final Logger logger = LoggerFactory.getLogger(CheckpointLoader.class);

    /** The name of the model configuration file in a checkpoint directory. */
    public static final String CONFIG_FILE = "config.json";

    private CheckpointLoader() {}

    /**
     * Loads the checkpoint of a directory: {@code config.json} and the safetensors files ({@code
     * model.safetensors}, or shards listed by {@code model.safetensors.index.json}).
     *
     * @param dir the checkpoint directory
     * @param options the model options (Criteria {@code optOption}), may be null
     * @param manager the manager that will own the parameters
     * @return the loaded model
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException naming the option, file or tensor when the options are
     *     unknown or the checkpoint is inconsistent
     */
    public static LoadedCheckpoint load(Path dir, Map<String, ?> options, NDManager manager)
            throws IOException {
        LoaderOptions.check(options);
        JsonObject config = readConfig(dir);
        try (SafetensorsTensors tensors = SafetensorsTensors.open(dir)) {
            return load(config, tensors, options, manager);
        }
    }

    /**
     * Reads the {@code config.json} of a checkpoint directory.
     *
     * @param dir the checkpoint directory
     * @return the parsed JSON object
     * @throws IOException when the file is missing or unreadable
     * @throws IllegalArgumentException naming the file when it is not a JSON object
     */
    public static JsonObject readConfig(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new FileNotFoundException("No " + CONFIG_FILE + " in " + dir);
        }
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement json = JsonParser.parseReader(reader);
            if (!json.isJsonObject()) {
                throw new IllegalArgumentException(file + " is not a JSON object");
            }
            return json.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Loads a checkpoint.
     *
     * @param config the parsed config.json
     * @param tensors the checkpoint tensors (the caller closes them)
     * @param options the model options (Criteria {@code optOption}), may be null
     * @param manager the manager that will own the parameters
     * @return the loaded model
     * @throws IllegalArgumentException naming the option, file or tensor when the options are
     *     unknown or the checkpoint is inconsistent
     */
    public static LoadedCheckpoint load(
            JsonObject config,
            CheckpointTensors tensors,
            Map<String, ?> options,
            NDManager manager) {
        LoaderOptions.check(options);
        MetalConfig requested = MetalConfig.fromOptions(options);
        boolean onTheFly = MetalConfig.requestsQuantization(options);
        ModelArchitecture architecture = Architectures.create(config);
        tensors = architecture.toModelLayout(tensors);
        CheckpointLayout layout = CheckpointInspector.inspect(config, tensors, architecture);
        checkFormatOption(options, layout, tensors);
        if (onTheFly && layout.getFormat() != CheckpointFormat.FLOAT) {
            throw new IllegalArgumentException(
                    tensors.location()
                            + " is already quantized ("
                            + layout.getFormat()
                            + " format); remove the bits/quantization option to load it as it"
                            + " is, or add dequantize=true to run it in float");
        }
        NDManager sub = manager.newSubManager();
        try {
            LoadedCheckpoint loaded =
                    populate(architecture, layout, tensors, requested, onTheFly, sub);
            logger.info(loaded.getSummary());
            return loaded;
        } catch (RuntimeException e) {
            sub.close();
            throw e;
        }
    }

    private static void checkFormatOption(
            Map<String, ?> options, CheckpointLayout layout, CheckpointTensors tensors) {
        Object value = options == null ? null : options.get(LoaderOptions.FORMAT);
        if (value == null) {
            return;
        }
        CheckpointFormat expected = CheckpointFormat.fromOptionName(value.toString());
        if (expected != layout.getFormat()) {
            throw new IllegalArgumentException(
                    "Option format="
                            + value
                            + " but "
                            + tensors.location()
                            + " is a "
                            + layout.getFormat()
                            + " checkpoint");
        }
    }

    private static LoadedCheckpoint populate(
            ModelArchitecture architecture,
            CheckpointLayout layout,
            CheckpointTensors tensors,
            MetalConfig requested,
            boolean onTheFly,
            NDManager manager) {
        Map<String, Parameter> parameters = BlockPaths.parameters(architecture.getBlock());
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            if (!layout.isPackedWeight(e.getKey())) {
                e.getValue().setArray(tensors.load(manager, e.getKey()));
            }
        }
        CheckpointFormat format = layout.getFormat();
        String what = format + " checkpoint " + tensors.location();
        if (format == CheckpointFormat.FLOAT) {
            if (!onTheFly) {
                return new LoadedCheckpoint(
                        architecture, format, null, 0, "Loaded " + what + " in float");
            }
            return QuantizedModules.quantizeOnTheFly(
                    architecture, format, requested, manager.getDevice(), what);
        }
        MetalConfig config = runtimeConfig(layout.getQuantization(), requested);
        Map<String, QuantizedTensor> quantized = readQuantized(layout, tensors, manager);
        if (config.isDequantize()) {
            for (Map.Entry<String, QuantizedTensor> e : quantized.entrySet()) {
                try (QuantizedTensor q = e.getValue()) {
                    NDArray w = Dequantizer.dequantize(manager, q);
                    parameters.get(e.getKey() + ".weight").setArray(w);
                }
            }
            String summary =
                    "Dequantized "
                            + quantized.size()
                            + " pre-quantized modules of the "
                            + what
                            + " to float (dequantize=true)";
            return new LoadedCheckpoint(architecture, format, null, 0, summary);
        }
        return QuantizedModules.placePreQuantized(
                architecture, format, config, quantized, manager.getDevice(), what);
    }

    private static MetalConfig runtimeConfig(MetalConfig checkpoint, MetalConfig requested) {
        return checkpoint.toBuilder()
                .optBackend(requested.getBackend())
                .optCacheDequantized(requested.isCacheDequantized())
                .optDequantize(checkpoint.isDequantize() || requested.isDequantize())
                .build();
    }

    private static Map<String, QuantizedTensor> readQuantized(
            CheckpointLayout layout, CheckpointTensors tensors, NDManager manager) {
        String biasSuffix = "." + layout.getFormat().getBiasSuffix();
        Map<String, QuantizedTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, QuantSpec> e : layout.getQuantizedModules().entrySet()) {
            String m = e.getKey();
            QuantSpec spec = e.getValue();
            out.put(
                    m,
                    new QuantizedTensor(
                            tensors.load(manager, m + ".weight"),
                            tensors.load(manager, m + ".scales"),
                            tensors.load(manager, m + biasSuffix),
                            spec.getBits(),
                            spec.getGroupSize()));
        }
        return out;
    }
}
