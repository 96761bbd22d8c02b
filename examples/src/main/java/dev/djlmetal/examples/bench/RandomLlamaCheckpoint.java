package dev.djlmetal.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.engine.loading.CheckpointTensors;
import dev.djlmetal.quant.QuantSpec;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Llama-3.2-1B-shaped checkpoint with random weights, generated in memory tensor by tensor when
 * the loader reads it (nothing is written to disk or committed). In float form every tensor is F32
 * from PyTorch's seeded normal generator. In MLX form every linear layer and the (tied) embedding
 * is pre-quantized: uniformly random uint32 words are a valid packing of uniformly random codes,
 * with scales and biases that map the codes onto about three standard deviations.
 */
public final class RandomLlamaCheckpoint implements CheckpointTensors {

    private static final String[] LINEARS = {
        "self_attn.q_proj",
        "self_attn.k_proj",
        "self_attn.v_proj",
        "self_attn.o_proj",
        "mlp.gate_proj",
        "mlp.up_proj",
        "mlp.down_proj"
    };

    private final JsonObject config;
    private final QuantSpec spec;
    private final Map<String, Shape> shapes = new LinkedHashMap<>();
    private final Map<String, String> dtypes = new LinkedHashMap<>();
    private final Map<String, Float> deviations = new LinkedHashMap<>();

    private RandomLlamaCheckpoint(int layers, QuantSpec spec) {
        this.spec = spec;
        config = configJson(layers);
        int hidden = config.get("hidden_size").getAsInt();
        int inter = config.get("intermediate_size").getAsInt();
        int headDim = config.get("head_dim").getAsInt();
        int q = config.get("num_attention_heads").getAsInt() * headDim;
        int kv = config.get("num_key_value_heads").getAsInt() * headDim;
        int vocab = config.get("vocab_size").getAsInt();
        matrix("model.embed_tokens", vocab, hidden, 0.02f);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            vector(p + "input_layernorm.weight", hidden);
            vector(p + "post_attention_layernorm.weight", hidden);
            int[][] dims = {
                {q, hidden},
                {kv, hidden},
                {kv, hidden},
                {hidden, q},
                {inter, hidden},
                {inter, hidden},
                {hidden, inter}
            };
            for (int j = 0; j < LINEARS.length; j++) {
                int in = dims[j][1];
                matrix(p + LINEARS[j], dims[j][0], in, (float) (1 / Math.sqrt(in)));
            }
        }
        vector("model.norm.weight", hidden);
        if (spec != null) {
            JsonObject quantization = new JsonObject();
            quantization.addProperty("group_size", spec.getGroupSize());
            quantization.addProperty("bits", spec.getBits());
            config.add("quantization", quantization);
        }
    }

    /**
     * Creates a float checkpoint.
     *
     * @param layers the number of decoder layers (16 for the real shape)
     * @return the checkpoint
     */
    public static RandomLlamaCheckpoint floatCheckpoint(int layers) {
        return new RandomLlamaCheckpoint(layers, null);
    }

    /**
     * Creates an MLX checkpoint quantized with one spec everywhere (embedding included).
     *
     * @param layers the number of decoder layers
     * @param spec the code width and group size
     * @return the checkpoint
     */
    public static RandomLlamaCheckpoint mlxCheckpoint(int layers, QuantSpec spec) {
        return new RandomLlamaCheckpoint(layers, spec);
    }

    /**
     * Returns the config.json of Llama-3.2-1B with the given number of layers (and, for an MLX
     * checkpoint, its quantization block).
     *
     * @return a copy of the config
     */
    public JsonObject getConfig() {
        return config.deepCopy();
    }

    private static JsonObject configJson(int layers) {
        return JsonParser.parseString(
                        String.format(
                                Locale.ROOT,
                                "{\"architectures\": [\"CausalLM\"],"
                                        + " \"model_type\": \"llama\", \"hidden_size\": 2048,"
                                        + " \"intermediate_size\": 8192,"
                                        + " \"num_hidden_layers\": %d,"
                                        + " \"num_attention_heads\": 32,"
                                        + " \"num_key_value_heads\": 8, \"head_dim\": 64,"
                                        + " \"vocab_size\": 128256,"
                                        + " \"max_position_embeddings\": 131072,"
                                        + " \"rms_norm_eps\": 1e-5, \"rope_theta\": 500000.0,"
                                        + " \"rope_scaling\": {\"rope_type\": \"llama3\","
                                        + " \"factor\": 32.0, \"low_freq_factor\": 1.0,"
                                        + " \"high_freq_factor\": 4.0,"
                                        + " \"original_max_position_embeddings\": 8192},"
                                        + " \"hidden_act\": \"silu\","
                                        + " \"tie_word_embeddings\": true,"
                                        + " \"bos_token_id\": 128000,"
                                        + " \"eos_token_id\": 128001,"
                                        + " \"torch_dtype\": \"bfloat16\"}",
                                layers))
                .getAsJsonObject();
    }

    private void matrix(String module, int rows, int cols, float deviation) {
        String weight = module + ".weight";
        deviations.put(weight, deviation);
        if (spec == null) {
            shapes.put(weight, new Shape(rows, cols));
            dtypes.put(weight, "F32");
            return;
        }
        shapes.put(weight, new Shape(rows, spec.packedColumns(cols)));
        dtypes.put(weight, "U32");
        Shape groups = new Shape(rows, cols / spec.getGroupSize());
        for (String suffix : new String[] {".scales", ".biases"}) {
            shapes.put(module + suffix, groups);
            dtypes.put(module + suffix, "F32");
            deviations.put(module + suffix, deviation);
        }
    }

    private void vector(String name, int size) {
        shapes.put(name, new Shape(size));
        dtypes.put(name, "F32");
    }

    /** {@inheritDoc} */
    @Override
    public String location() {
        return "random Llama-3.2-1B-shaped checkpoint (" + (spec == null ? "float" : spec) + ")";
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(shapes.keySet());
    }

    /** {@inheritDoc} */
    @Override
    public Shape shape(String name) {
        return shapes.get(name);
    }

    /** {@inheritDoc} */
    @Override
    public String dtype(String name) {
        return dtypes.get(name);
    }

    /** {@inheritDoc} */
    @Override
    public String fileOf(String name) {
        return "generated";
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(NDManager manager, String name) {
        Shape shape = shapes.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("No tensor " + name + " in " + location());
        }
        Float deviation = deviations.get(name);
        if (deviation == null) {
            return manager.randomUniform(0.9f, 1.1f, shape);
        }
        if ("U32".equals(dtypes.get(name))) {
            return manager.randomInteger(
                    Integer.MIN_VALUE, Integer.MAX_VALUE, shape, DataType.INT32);
        }
        if (spec == null) {
            return manager.randomNormal(0f, deviation, shape, DataType.FLOAT32);
        }
        float step = 6 * deviation / ((1 << spec.getBits()) - 1);
        if (name.endsWith(".scales")) {
            return manager.randomUniform(0.8f * step, 1.2f * step, shape);
        }
        return manager.randomUniform(-3.3f * deviation, -2.7f * deviation, shape);
    }

    /** {@inheritDoc} */
    @Override
    public void close() {}
}
