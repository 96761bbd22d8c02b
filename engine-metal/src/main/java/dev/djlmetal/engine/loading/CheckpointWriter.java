package dev.djlmetal.engine.loading;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.djlmetal.engine.MetalModel;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.io.SafetensorsWriter;
import dev.djlmetal.nn.BlockPaths;
import dev.djlmetal.nn.MetalQuantizedEmbedding;
import dev.djlmetal.nn.MetalQuantizedLinear;
import dev.djlmetal.nn.MetalQuantizedSwitchLinear;
import dev.djlmetal.nn.QuantizableEmbedding;
import dev.djlmetal.nn.SwitchLinear;
import dev.djlmetal.quant.MetalConfig;
import dev.djlmetal.quant.QuantSpec;
import dev.djlmetal.quant.QuantizedTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a (quantized) model as a checkpoint this project, MLX or transformers can load.
 *
 * <ul>
 *   <li>{@link CheckpointFormat#MLX}: {@code <m>.weight} (U32), {@code <m>.scales} and {@code
 *       <m>.biases} for every quantized module, embeddings included; a {@code quantization} block
 *       (repeated as {@code quantization_config}, as mlx-lm does) with the most common spec as
 *       default, per-module entries for other bit widths and {@code false} for linear and embedding
 *       modules that stayed float. With tied embeddings no {@code lm_head} is written.
 *   <li>{@link CheckpointFormat#TRANSFORMERS}: {@code <m>.qbiases} instead of {@code biases},
 *       {@code quantization_config} with {@code quant_method: "metal"}; embeddings are written in
 *       float (dequantized if needed), float linear modules are listed in {@code
 *       modules_to_not_convert}. Mixed bit widths cannot be written in this format.
 *   <li>{@link CheckpointFormat#FLOAT}: every weight in float, quantized ones dequantized.
 * </ul>
 *
 * <p>The stacked experts of a mixture-of-experts layer ({@code SwitchLinear}) are written as 3-D
 * tensors under the model's names ({@code ...switch_mlp.gate_proj.weight [E, N, K]}), as mlx-lm
 * stores them; quantized, their codes, scales and biases get the same leading expert axis. In the
 * transformers format that layout is djl-metal's own: transformers 5.17 quantizes no expert stacks
 * and stores experts under other names.
 *
 * <p>Float tensors and scales/biases are written as F32 (the model's data type). {@code
 * config.json} is the model's own with its quantization entries replaced.
 */
public final class CheckpointWriter {

    private static final List<String> COMPANION_FILES =
            Arrays.asList(
                    "tokenizer.json",
                    "tokenizer_config.json",
                    "special_tokens_map.json",
                    "generation_config.json",
                    "tokenizer.model");

    private final CheckpointFormat format;
    private final JsonObject config;
    private final long maxShardBytes;
    private final Path companionsFrom;

    private CheckpointWriter(Builder builder) {
        format = builder.format;
        config = builder.config;
        maxShardBytes = builder.maxShardBytes;
        companionsFrom = builder.companionsFrom;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Saves a loaded Metal model: its block, its {@code config.json} and the tokenizer files of its
     * directory.
     *
     * @param model the loaded model
     * @param dir the output directory
     * @param format the checkpoint format
     * @throws IOException when reading the source config or writing fails
     */
    public static void save(MetalModel model, Path dir, CheckpointFormat format)
            throws IOException {
        Path source = model.getModelPath();
        builder()
                .setFormat(format)
                .setConfig(CheckpointLoader.readConfig(source))
                .optCompanionFilesFrom(source)
                .build()
                .write(model.getBlock(), dir);
    }

    /**
     * Writes a block tree as a checkpoint.
     *
     * @param root the root block, loaded (float and quantized modules)
     * @param dir the output directory, created when absent
     * @throws IOException when writing fails
     * @throws IllegalArgumentException when the model cannot be expressed in the format
     */
    public void write(Block root, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, QuantSpec> specs = new LinkedHashMap<>();
        List<String> floatModules = new ArrayList<>();
        List<String> floatLinears = new ArrayList<>();
        try (NDManager scratch = NDManager.newBaseManager("PyTorch")) {
            SafetensorsWriter writer = new SafetensorsWriter();
            for (Map.Entry<String, Block> e : BlockPaths.blocks(root).entrySet()) {
                String path = e.getKey();
                Block block = e.getValue();
                addBlock(writer, scratch, path, block, specs);
                if (block instanceof ai.djl.nn.core.Linear || block instanceof SwitchLinear) {
                    floatLinears.add(path);
                    floatModules.add(path);
                } else if (block instanceof QuantizableEmbedding) {
                    floatModules.add(path);
                }
            }
            JsonObject json = configJson(specs, floatModules, floatLinears);
            writer.writeSharded(dir, maxShardBytes);
            String text = new GsonBuilder().setPrettyPrinting().create().toJson(json);
            Path configFile = dir.resolve(CheckpointLoader.CONFIG_FILE);
            Files.writeString(configFile, text, StandardCharsets.UTF_8);
        }
        if (companionsFrom != null && !companionsFrom.equals(dir)) {
            for (String name : COMPANION_FILES) {
                Path file = companionsFrom.resolve(name);
                if (Files.isRegularFile(file)) {
                    Files.copy(file, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private void addBlock(
            SafetensorsWriter writer,
            NDManager scratch,
            String path,
            Block block,
            Map<String, QuantSpec> specs) {
        if (block instanceof MetalQuantizedLinear) {
            MetalQuantizedLinear linear = (MetalQuantizedLinear) block;
            addQuantized(writer, scratch, path, linear.getQuantizedWeight(), false, specs);
            if (linear.getBias() != null) {
                writer.add(path + ".bias", asFloat32(scratch, linear.getBias()));
            }
            return;
        }
        if (block instanceof MetalQuantizedSwitchLinear) {
            QuantizedTensor experts = ((MetalQuantizedSwitchLinear) block).getQuantizedWeight();
            addQuantized(writer, scratch, path, experts, false, specs);
            return;
        }
        if (block instanceof MetalQuantizedEmbedding) {
            QuantizedTensor table = ((MetalQuantizedEmbedding) block).getQuantizedWeight();
            addQuantized(writer, scratch, path, table, true, specs);
            return;
        }
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            NDArray array = p.getValue().getArray();
            writer.add(BlockPaths.join(path, p.getKey()), asFloat32(scratch, array));
        }
    }

    private void addQuantized(
            SafetensorsWriter writer,
            NDManager scratch,
            String path,
            QuantizedTensor q,
            boolean embedding,
            Map<String, QuantSpec> specs) {
        boolean dequantize =
                format == CheckpointFormat.FLOAT
                        || (format == CheckpointFormat.TRANSFORMERS && embedding);
        if (dequantize) {
            writer.add(path + ".weight", Dequantizer.dequantize(scratch, q));
            return;
        }
        specs.put(path, q.spec());
        writer.add(path + ".weight", q.packed(), SafetensorsDType.U32);
        writer.add(path + ".scales", asFloat32(scratch, q.scales()));
        writer.add(path + "." + format.getBiasSuffix(), asFloat32(scratch, q.biases()));
    }

    private static NDArray asFloat32(NDManager scratch, NDArray array) {
        if (array.getDataType() == DataType.FLOAT32) {
            return array;
        }
        NDArray converted = array.toType(DataType.FLOAT32, true);
        converted.attach(scratch);
        return converted;
    }

    private JsonObject configJson(
            Map<String, QuantSpec> specs, List<String> floatModules, List<String> floatLinears) {
        JsonObject json = config.deepCopy();
        json.remove("quantization");
        json.remove("quantization_config");
        if (specs.isEmpty()) {
            return json;
        }
        QuantSpec common = mostCommon(specs);
        MetalConfig.Builder builder =
                MetalConfig.builder().optBits(common.getBits()).optGroupSize(common.getGroupSize());
        if (format == CheckpointFormat.MLX) {
            builder.optModulesToNotConvert(new ArrayList<>()).optQuantizeEmbeddings(true);
            for (Map.Entry<String, QuantSpec> e : specs.entrySet()) {
                if (!e.getValue().equals(common)) {
                    builder.optModuleOverride(e.getKey(), e.getValue());
                }
            }
            for (String module : floatModules) {
                builder.optKeepFloat(module);
            }
            JsonObject block = builder.build().toMlxJson();
            json.add("quantization", block);
            json.add("quantization_config", block.deepCopy());
            return json;
        }
        for (Map.Entry<String, QuantSpec> e : specs.entrySet()) {
            if (!e.getValue().equals(common)) {
                throw new IllegalArgumentException(
                        "format=transformers has one bits/group_size for every module, but "
                                + e.getKey()
                                + " uses "
                                + e.getValue()
                                + " beside "
                                + common
                                + "; write format=mlx instead");
            }
        }
        builder.optModulesToNotConvert(floatLinears);
        json.add("quantization_config", builder.build().toTransformersJson());
        return json;
    }

    private static QuantSpec mostCommon(Map<String, QuantSpec> specs) {
        Map<QuantSpec, Integer> counts = new HashMap<>();
        QuantSpec best = null;
        for (QuantSpec spec : specs.values()) {
            int count = counts.merge(spec, 1, Integer::sum);
            if (best == null || count > counts.get(best)) {
                best = spec;
            }
        }
        return best;
    }

    /** Builds a {@link CheckpointWriter}. */
    public static final class Builder {

        private CheckpointFormat format;
        private JsonObject config;
        private long maxShardBytes = 5L << 30;
        private Path companionsFrom;

        Builder() {}

        /**
         * Sets the checkpoint format.
         *
         * @param format the format
         * @return this builder
         */
        public Builder setFormat(CheckpointFormat format) {
            this.format = format;
            return this;
        }

        /**
         * Sets the model's {@code config.json}; its quantization entries are replaced.
         *
         * @param config the config
         * @return this builder
         */
        public Builder setConfig(JsonObject config) {
            this.config = config;
            return this;
        }

        /**
         * Sets the largest shard (default 5 GiB); larger checkpoints are sharded with an index.
         *
         * @param maxShardBytes the largest number of tensor bytes per file
         * @return this builder
         */
        public Builder optMaxShardBytes(long maxShardBytes) {
            this.maxShardBytes = maxShardBytes;
            return this;
        }

        /**
         * Copies the tokenizer and generation files found in a directory along.
         *
         * @param dir the source model directory
         * @return this builder
         */
        public Builder optCompanionFilesFrom(Path dir) {
            this.companionsFrom = dir;
            return this;
        }

        /**
         * Builds the writer.
         *
         * @return the writer
         */
        public CheckpointWriter build() {
            Objects.requireNonNull(format, "format");
            Objects.requireNonNull(config, "config");
            return new CheckpointWriter(this);
        }
    }
}
