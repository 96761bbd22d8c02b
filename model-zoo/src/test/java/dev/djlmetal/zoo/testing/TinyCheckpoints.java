package dev.djlmetal.zoo.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import java.util.Collections;
import java.util.Map;
import java.util.Random;

/**
 * Tiny random Llama-family models for tests: configs, weights and checkpoints in the formats the
 * project reads.
 */
public final class TinyCheckpoints {

    private TinyCheckpoints() {}

    /**
     * Returns the config.json of a tiny Llama: hidden 64, 2 layers, 4 heads, 2 key/value heads,
     * vocab 96, intermediate 128, tied embeddings, Llama 3 rope scaling (transformers 4 style).
     *
     * @return the parsed config.json
     */
    public static JsonObject llamaConfigJson() {
        return JsonParser.parseString(
                        "{\"architectures\": [\"CausalLM\"], \"model_type\": \"llama\","
                                + " \"hidden_size\": 64, \"intermediate_size\": 128,"
                                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                                + " \"num_key_value_heads\": 2, \"vocab_size\": 96,"
                                + " \"max_position_embeddings\": 256, \"rms_norm_eps\": 1e-5,"
                                + " \"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\":"
                                + " \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0,"
                                + " \"high_freq_factor\": 4.0,"
                                + " \"original_max_position_embeddings\": 64},"
                                + " \"hidden_act\": \"silu\", \"tie_word_embeddings\": true,"
                                + " \"bos_token_id\": 1, \"eos_token_id\": 2,"
                                + " \"torch_dtype\": \"float32\"}")
                .getAsJsonObject();
    }

    /**
     * Returns the config.json of a tiny Qwen2: like {@link #llamaConfigJson()} but with q/k/v
     * biases, untied embeddings and transformers 5 style {@code rope_parameters}.
     *
     * @return the parsed config.json
     */
    public static JsonObject qwen2ConfigJson() {
        return JsonParser.parseString(
                        "{\"architectures\": [\"Qwen2ForCausalLM\"], \"model_type\": \"qwen2\","
                                + " \"hidden_size\": 64, \"intermediate_size\": 128,"
                                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                                + " \"num_key_value_heads\": 2, \"vocab_size\": 96,"
                                + " \"max_position_embeddings\": 256, \"rms_norm_eps\": 1e-6,"
                                + " \"rope_parameters\": {\"rope_theta\": 1000000.0,"
                                + " \"rope_type\": \"default\"}, \"hidden_act\": \"silu\","
                                + " \"tie_word_embeddings\": false, \"use_sliding_window\": false,"
                                + " \"bos_token_id\": 1, \"eos_token_id\": 2,"
                                + " \"dtype\": \"float32\"}")
                .getAsJsonObject();
    }

    /**
     * Creates random weights for every tensor of a model, with the Hugging Face names.
     *
     * @param config the model config
     * @param seed the random seed
     * @return the weights
     */
    public static TinyWeights randomWeights(DecoderConfig config, long seed) {
        Random random = new Random(seed);
        TinyWeights w = new TinyWeights();
        int hidden = config.getHiddenSize();
        int inter = config.getIntermediateSize();
        int q = config.getNumAttentionHeads() * config.getHeadDim();
        int kv = config.getNumKeyValueHeads() * config.getHeadDim();
        int vocab = config.getVocabSize();
        matrix(w, random, "model.embed_tokens.weight", vocab, hidden, 1.0);
        for (int i = 0; i < config.getNumHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            norm(w, random, p + "input_layernorm.weight", hidden);
            norm(w, random, p + "post_attention_layernorm.weight", hidden);
            linear(w, random, p + "self_attn.q_proj", q, hidden, config.isQkvBias());
            linear(w, random, p + "self_attn.k_proj", kv, hidden, config.isQkvBias());
            linear(w, random, p + "self_attn.v_proj", kv, hidden, config.isQkvBias());
            linear(w, random, p + "self_attn.o_proj", hidden, q, config.isOutputBias());
            linear(w, random, p + "mlp.gate_proj", inter, hidden, config.isMlpBias());
            linear(w, random, p + "mlp.up_proj", inter, hidden, config.isMlpBias());
            linear(w, random, p + "mlp.down_proj", hidden, inter, config.isMlpBias());
        }
        norm(w, random, "model.norm.weight", hidden);
        if (!config.isTieWordEmbeddings()) {
            linear(w, random, "lm_head", vocab, hidden, false);
        }
        return w;
    }

    private static void linear(
            TinyWeights w, Random random, String name, int out, int in, boolean bias) {
        matrix(w, random, name + ".weight", out, in, 1.0 / Math.sqrt(in));
        if (bias) {
            float[] b = new float[out];
            for (int i = 0; i < out; i++) {
                b[i] = (float) (random.nextGaussian() * 0.1);
            }
            w.put(name + ".bias", new long[] {out}, b);
        }
    }

    private static void matrix(
            TinyWeights w, Random random, String name, int rows, int cols, double std) {
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextGaussian() * std);
        }
        w.put(name, new long[] {rows, cols}, data);
    }

    private static void norm(TinyWeights w, Random random, String name, int size) {
        float[] data = new float[size];
        for (int i = 0; i < size; i++) {
            data[i] = (float) (1 + random.nextGaussian() * 0.1);
        }
        w.put(name, new long[] {size}, data);
    }

    /**
     * Puts float weights into an in-memory checkpoint (all F32).
     *
     * @param weights the weights
     * @return the tensors
     */
    public static InMemoryTensors floatTensors(TinyWeights weights) {
        InMemoryTensors t = new InMemoryTensors();
        for (String name : weights.all().keySet()) {
            t.putFloat(name, weights.shape(name), weights.get(name));
        }
        return t;
    }

    /** A quantized checkpoint fixture: config.json, tensors and the weights they stand for. */
    public static final class QuantizedFixture {
        /** The config.json with its quantization block. */
        public final JsonObject config;

        /** The checkpoint tensors. */
        public final InMemoryTensors tensors;

        /** The float weights with every quantized matrix replaced by its dequantized value. */
        public final TinyWeights dequantized;

        QuantizedFixture(JsonObject config, InMemoryTensors tensors, TinyWeights dequantized) {
            this.config = config;
            this.tensors = tensors;
            this.dequantized = dequantized;
        }
    }

    /**
     * Quantizes float weights into a checkpoint of the given format: MLX quantizes every eligible
     * linear layer and the embedding (tied: also the output projection), transformers every
     * eligible linear layer except {@code lm_head}.
     *
     * @param configJson the float config.json
     * @param weights the float weights
     * @param format {@link CheckpointFormat#MLX} or {@link CheckpointFormat#TRANSFORMERS}
     * @param bits the default code width
     * @param groupSize the group size
     * @return the fixture
     */
    public static QuantizedFixture quantized(
            JsonObject configJson,
            TinyWeights weights,
            CheckpointFormat format,
            int bits,
            int groupSize) {
        return quantized(configJson, weights, format, bits, groupSize, Collections.emptyMap());
    }

    /**
     * Like {@link #quantized(JsonObject, TinyWeights, CheckpointFormat, int, int)} with MLX
     * per-module bit widths.
     *
     * @param configJson the float config.json
     * @param weights the float weights
     * @param format the format
     * @param bits the default code width
     * @param groupSize the group size
     * @param bitsOverrides module path to bits (MLX only)
     * @return the fixture
     */
    public static QuantizedFixture quantized(
            JsonObject configJson,
            TinyWeights weights,
            CheckpointFormat format,
            int bits,
            int groupSize,
            Map<String, Integer> bitsOverrides) {
        boolean mlx = format == CheckpointFormat.MLX;
        JsonObject config = configJson.deepCopy();
        JsonObject block = new JsonObject();
        if (mlx) {
            block.addProperty("group_size", groupSize);
            block.addProperty("bits", bits);
            for (Map.Entry<String, Integer> e : bitsOverrides.entrySet()) {
                JsonObject o = new JsonObject();
                o.addProperty("bits", e.getValue());
                o.addProperty("group_size", groupSize);
                block.add(e.getKey(), o);
            }
            config.add("quantization", block);
        } else {
            block.addProperty("quant_method", "metal");
            block.addProperty("bits", bits);
            block.addProperty("group_size", groupSize);
            block.add("modules_to_not_convert", JsonParser.parseString("[\"lm_head\"]"));
            config.add("quantization_config", block);
        }
        InMemoryTensors tensors = new InMemoryTensors();
        TinyWeights dequantized = new TinyWeights();
        for (String name : weights.all().keySet()) {
            long[] shape = weights.shape(name);
            float[] w = weights.get(name);
            String module = name.substring(0, name.lastIndexOf('.'));
            boolean matrix = name.endsWith(".weight") && shape.length == 2;
            boolean embedding = module.endsWith("embed_tokens");
            boolean eligible =
                    matrix
                            && shape[1] % groupSize == 0
                            && (mlx || (!embedding && !module.equals("lm_head")));
            if (!eligible) {
                tensors.putFloat(name, shape, w);
                dequantized.put(name, shape, w);
                continue;
            }
            int b = bitsOverrides.getOrDefault(module, bits);
            int rows = (int) shape[0];
            int cols = (int) shape[1];
            TinyQuantizer.Quantized q = TinyQuantizer.quantize(w, rows, cols, b, groupSize);
            long[] groups = {rows, cols / groupSize};
            tensors.putU32(name, new long[] {rows, cols * b / 32}, q.packed);
            tensors.putFloat(module + ".scales", groups, q.scales);
            tensors.putFloat(module + (mlx ? ".biases" : ".qbiases"), groups, q.biases);
            dequantized.put(name, shape, TinyQuantizer.dequantize(q, rows, cols, b, groupSize));
        }
        return new QuantizedFixture(config, tensors, dequantized);
    }
}
