package dev.djlmetal.zoo.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.djlmetal.zoo.llama.LlamaConfig;
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
                        "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\","
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
    public static TinyWeights randomWeights(LlamaConfig config, long seed) {
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
}
