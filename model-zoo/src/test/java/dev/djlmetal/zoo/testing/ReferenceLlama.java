package dev.djlmetal.zoo.testing;

import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.RopeScaling;

/**
 * An independent, plain-Java, double-precision forward pass of a Llama-family model (batch 1, no
 * cache), written straight from the published equations: embedding, RMSNorm, rotate-half RoPE
 * (default, linear and llama3 frequencies), grouped-query causal attention, SwiGLU MLP, final norm
 * and the (tied or untied) output projection.
 */
public final class ReferenceLlama {

    private final DecoderConfig config;
    private final TinyWeights weights;

    /**
     * Creates the reference model.
     *
     * @param config the config
     * @param weights the float weights by Hugging Face name
     */
    public ReferenceLlama(DecoderConfig config, TinyWeights weights) {
        this.config = config;
        this.weights = weights;
    }

    /**
     * Computes the logits of every position of a sequence.
     *
     * @param ids the token ids
     * @return {@code [S][vocab]}
     */
    public double[][] logits(long[] ids) {
        int hidden = config.getHiddenSize();
        int seq = ids.length;
        double[][] x = new double[seq][];
        float[] table = weights.get("model.embed_tokens.weight");
        for (int s = 0; s < seq; s++) {
            x[s] = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                x[s][j] = table[(int) ids[s] * hidden + j];
            }
        }
        for (int l = 0; l < config.getNumHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] attn = attention(p + "self_attn.", norm(x, p + "input_layernorm.weight"));
            add(x, attn);
            double[][] n2 = norm(x, p + "post_attention_layernorm.weight");
            double[][] mlp = new double[seq][];
            for (int s = 0; s < seq; s++) {
                double[] g = linear(p + "mlp.gate_proj", n2[s]);
                double[] u = linear(p + "mlp.up_proj", n2[s]);
                for (int i = 0; i < g.length; i++) {
                    g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                }
                mlp[s] = linear(p + "mlp.down_proj", g);
            }
            add(x, mlp);
        }
        double[][] h = norm(x, "model.norm.weight");
        double[][] out = new double[seq][];
        String head = config.isTieWordEmbeddings() ? "model.embed_tokens" : "lm_head";
        for (int s = 0; s < seq; s++) {
            out[s] = linear(head, h[s]);
        }
        return out;
    }

    private double[][] attention(String p, double[][] x) {
        int seq = x.length;
        int heads = config.getNumAttentionHeads();
        int kvHeads = config.getNumKeyValueHeads();
        int d = config.getHeadDim();
        double[][] q = new double[seq][];
        double[][] k = new double[seq][];
        double[][] v = new double[seq][];
        double[] inv = inverseFrequencies();
        for (int s = 0; s < seq; s++) {
            q[s] = rope(linear(p + "q_proj", x[s]), s, heads, inv);
            k[s] = rope(linear(p + "k_proj", x[s]), s, kvHeads, inv);
            v[s] = linear(p + "v_proj", x[s]);
        }
        double[][] out = new double[seq][];
        for (int s = 0; s < seq; s++) {
            double[] ctx = new double[heads * d];
            for (int h = 0; h < heads; h++) {
                int g = h / (heads / kvHeads);
                double[] scores = new double[s + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= s; t++) {
                    double dot = 0;
                    for (int i = 0; i < d; i++) {
                        dot += q[s][h * d + i] * k[t][g * d + i];
                    }
                    scores[t] = dot / Math.sqrt(d);
                    max = Math.max(max, scores[t]);
                }
                double sum = 0;
                for (int t = 0; t <= s; t++) {
                    scores[t] = Math.exp(scores[t] - max);
                    sum += scores[t];
                }
                for (int t = 0; t <= s; t++) {
                    for (int i = 0; i < d; i++) {
                        ctx[h * d + i] += scores[t] / sum * v[t][g * d + i];
                    }
                }
            }
            out[s] = linear(p + "o_proj", ctx);
        }
        return out;
    }

    private double[] rope(double[] x, int pos, int heads, double[] inv) {
        int d = config.getHeadDim();
        int half = d / 2;
        double[] out = x.clone();
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * inv[i];
                double a = x[h * d + i];
                double b = x[h * d + i + half];
                out[h * d + i] = a * Math.cos(angle) - b * Math.sin(angle);
                out[h * d + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return out;
    }

    /**
     * Computes the rotary inverse frequencies independently of the model code.
     *
     * @return {@code headDim / 2} values
     */
    public double[] inverseFrequencies() {
        int d = config.getHeadDim();
        double[] inv = new double[d / 2];
        String type = config.getRope().getType();
        for (int i = 0; i < inv.length; i++) {
            inv[i] = Math.pow(config.getRope().getTheta(), -2.0 * i / d);
            if ("linear".equals(type)) {
                inv[i] /= config.getRope().getFactor();
            } else if ("llama3".equals(type)) {
                inv[i] = llama3(inv[i]);
            }
        }
        return inv;
    }

    private double llama3(double inv) {
        RopeScaling r = config.getRope();
        double original = r.getOriginalMaxPositionEmbeddings();
        double lowWavelen = original / r.getLowFreqFactor();
        double highWavelen = original / r.getHighFreqFactor();
        double wavelen = 2 * Math.PI / inv;
        double scaled = wavelen > lowWavelen ? inv / r.getFactor() : inv;
        double smooth =
                (original / wavelen - r.getLowFreqFactor())
                        / (r.getHighFreqFactor() - r.getLowFreqFactor());
        double smoothed = (1 - smooth) * scaled / r.getFactor() + smooth * scaled;
        boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
        return medium ? smoothed : scaled;
    }

    private double[][] norm(double[][] x, String name) {
        float[] w = weights.get(name);
        double[][] out = new double[x.length][];
        for (int s = 0; s < x.length; s++) {
            double ms = 0;
            for (double v : x[s]) {
                ms += v * v;
            }
            double r = 1 / Math.sqrt(ms / x[s].length + config.getRmsNormEps());
            out[s] = new double[x[s].length];
            for (int j = 0; j < x[s].length; j++) {
                out[s][j] = x[s][j] * r * w[j];
            }
        }
        return out;
    }

    private double[] linear(String name, double[] x) {
        float[] w = weights.get(name + ".weight");
        int in = x.length;
        int out = w.length / in;
        double[] y = new double[out];
        boolean hasBias = weights.contains(name + ".bias");
        float[] b = hasBias ? weights.get(name + ".bias") : null;
        for (int o = 0; o < out; o++) {
            double sum = hasBias ? b[o] : 0;
            for (int i = 0; i < in; i++) {
                sum += w[o * in + i] * x[i];
            }
            y[o] = sum;
        }
        return y;
    }

    private static void add(double[][] x, double[][] y) {
        for (int s = 0; s < x.length; s++) {
            for (int j = 0; j < x[s].length; j++) {
                x[s][j] += y[s][j];
            }
        }
    }
}
