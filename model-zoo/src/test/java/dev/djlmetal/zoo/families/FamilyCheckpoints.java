package dev.djlmetal.zoo.families;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.zoo.testing.InMemoryTensors;
import dev.djlmetal.zoo.testing.TinyQuantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Test-side checkpoint layouts of the family fixtures, written from the formats' descriptions
 * independently of the loader: transformers 5 names to MLX's stacked {@code switch_mlp} and to
 * transformers 4's one module per expert, and pre-quantized checkpoints in the MLX and transformers
 * "metal" formats (quantized with {@link TinyQuantizer}).
 */
final class FamilyCheckpoints {

    private FamilyCheckpoints() {}

    /** The stored block name of the experts of a family in MLX's layout. */
    private static String mlxBlock(FamilyFixture f) {
        return "mixtral".equals(f.name) ? "block_sparse_moe" : "mlp";
    }

    /** Renames a transformers 5 checkpoint (fused experts) to MLX's names (stacked experts). */
    static InMemoryTensors toMlxNames(FamilyFixture f, InMemoryTensors tf5) {
        InMemoryTensors out = new InMemoryTensors();
        for (String name : tf5.names()) {
            float[] values = (float[]) tf5.raw(name);
            long[] shape = tf5.shape(name).getShape();
            if (name.endsWith(".mlp.experts.gate_up_proj")) {
                String block = name.replace(".mlp.experts.gate_up_proj", "." + mlxBlock(f));
                long experts = shape[0];
                long inter = shape[1] / 2;
                long hidden = shape[2];
                float[] gate = new float[(int) (experts * inter * hidden)];
                float[] up = new float[gate.length];
                int half = (int) (inter * hidden);
                for (int e = 0; e < experts; e++) {
                    System.arraycopy(values, e * 2 * half, gate, e * half, half);
                    System.arraycopy(values, e * 2 * half + half, up, e * half, half);
                }
                long[] stacked = {experts, inter, hidden};
                out.putFloat(block + ".switch_mlp.gate_proj.weight", stacked, gate);
                out.putFloat(block + ".switch_mlp.up_proj.weight", stacked, up);
            } else if (name.endsWith(".mlp.experts.down_proj")) {
                String block = name.replace(".mlp.experts.down_proj", "." + mlxBlock(f));
                out.putFloat(block + ".switch_mlp.down_proj.weight", shape, values);
            } else if (name.endsWith(".mlp.gate.weight") && f.isMoe()) {
                out.putFloat(
                        name.replace(".mlp.gate.", "." + mlxBlock(f) + ".gate."), shape, values);
            } else {
                out.putFloat(name, shape, values);
            }
        }
        return out;
    }

    /**
     * Renames a transformers 5 checkpoint to the transformers 4 layout: one module per expert
     * ({@code block_sparse_moe.experts.<e>.w1/w3/w2} for Mixtral, {@code
     * mlp.experts.<e>.gate_proj/up_proj/down_proj} for Qwen).
     */
    static InMemoryTensors toTransformers4Names(FamilyFixture f, InMemoryTensors tf5) {
        boolean mixtral = "mixtral".equals(f.name);
        String[] names =
                mixtral
                        ? new String[] {"w1", "w3", "w2"}
                        : new String[] {"gate_proj", "up_proj", "down_proj"};
        InMemoryTensors out = new InMemoryTensors();
        for (String name : tf5.names()) {
            float[] values = (float[]) tf5.raw(name);
            long[] shape = tf5.shape(name).getShape();
            boolean gateUp = name.endsWith(".mlp.experts.gate_up_proj");
            boolean down = name.endsWith(".mlp.experts.down_proj");
            if (gateUp || down) {
                String prefix =
                        name.substring(0, name.indexOf(".mlp.experts.")) + "." + mlxBlock(f);
                int experts = (int) shape[0];
                int rows = (int) (gateUp ? shape[1] / 2 : shape[1]);
                int cols = (int) shape[2];
                int size = rows * cols;
                for (int e = 0; e < experts; e++) {
                    String base = prefix + ".experts." + e + ".";
                    long[] matrix = {rows, cols};
                    if (gateUp) {
                        int at = e * 2 * size;
                        out.putFloat(
                                base + names[0] + ".weight",
                                matrix,
                                Arrays.copyOfRange(values, at, at + size));
                        out.putFloat(
                                base + names[1] + ".weight",
                                matrix,
                                Arrays.copyOfRange(values, at + size, at + 2 * size));
                    } else {
                        out.putFloat(
                                base + names[2] + ".weight",
                                matrix,
                                Arrays.copyOfRange(values, e * size, (e + 1) * size));
                    }
                }
            } else if (mixtral && name.endsWith(".mlp.gate.weight")) {
                out.putFloat(name.replace(".mlp.gate.", ".block_sparse_moe.gate."), shape, values);
            } else {
                out.putFloat(name, shape, values);
            }
        }
        return out;
    }

    /**
     * Quantizes the eligible tensors of a checkpoint: those of two or more dimensions in scope
     * whose last dimension divides by the group size, row by row (a stack of experts is a stack of
     * matrices), with float32 scales and biases.
     *
     * @param t the float checkpoint
     * @param inScope which tensors (by name) to quantize
     * @param bits the code width
     * @param groupSize the group size
     * @param biasSuffix {@code biases} (MLX) or {@code qbiases} (transformers)
     * @return the quantized checkpoint
     */
    static InMemoryTensors quantize(
            InMemoryTensors t,
            Predicate<String> inScope,
            int bits,
            int groupSize,
            String biasSuffix) {
        InMemoryTensors out = new InMemoryTensors();
        for (String name : t.names()) {
            float[] values = (float[]) t.raw(name);
            long[] shape = t.shape(name).getShape();
            int k = (int) shape[shape.length - 1];
            if (shape.length < 2
                    || !name.endsWith(".weight")
                    || !inScope.test(name)
                    || k % groupSize != 0) {
                out.putFloat(name, shape, values);
                continue;
            }
            int rows = values.length / k;
            TinyQuantizer.Quantized q = TinyQuantizer.quantize(values, rows, k, bits, groupSize);
            String module = name.substring(0, name.length() - ".weight".length());
            long[] packed = shape.clone();
            packed[packed.length - 1] = (long) k * bits / 32;
            long[] groups = shape.clone();
            groups[groups.length - 1] = k / groupSize;
            out.putU32(name, packed, q.packed);
            out.putFloat(module + ".scales", groups, q.scales);
            out.putFloat(module + "." + biasSuffix, groups, q.biases);
        }
        return out;
    }

    /** The config.json of an MLX checkpoint. */
    static JsonObject mlxConfig(JsonObject config, int bits, int groupSize) {
        JsonObject c = config.deepCopy();
        JsonObject q = new JsonObject();
        q.addProperty("group_size", groupSize);
        q.addProperty("bits", bits);
        c.add("quantization", q);
        c.add("quantization_config", q.deepCopy());
        return c;
    }

    /** The config.json of a transformers "metal" checkpoint. */
    static JsonObject transformersConfig(JsonObject config, int bits, int groupSize) {
        JsonObject c = config.deepCopy();
        JsonObject q = new JsonObject();
        q.addProperty("quant_method", "metal");
        q.addProperty("bits", bits);
        q.addProperty("group_size", groupSize);
        JsonArray skip = new JsonArray();
        skip.add("lm_head");
        q.add("modules_to_not_convert", skip);
        c.add("quantization_config", q);
        return c;
    }

    /** Writes a checkpoint directory (F32 float tensors). */
    static Path write(Path dir, InMemoryTensors t, JsonObject config) throws IOException {
        t.writeTo(dir, config, SafetensorsDType.F32, Long.MAX_VALUE);
        return dir;
    }

    /**
     * Writes a word-level {@code tokenizer.json} whose token {@code i} is the word {@code w<i>}:
     * the text {@code "w12 w5"} is the ids {@code [12, 5]}, and generated ids decode to {@code "
     * w<i>"} each.
     *
     * @param dir the model directory
     * @param vocab the vocabulary size
     * @throws IOException when writing fails
     */
    static void writeWordTokenizer(Path dir, int vocab) throws IOException {
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < vocab; i++) {
            words.append(i == 0 ? "" : ",").append("\"w").append(i).append("\":").append(i);
        }
        Files.writeString(
                dir.resolve("tokenizer.json"),
                "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
                        + "\"added_tokens\":[],\"normalizer\":null,"
                        + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,"
                        + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{"
                        + words
                        + "},\"unk_token\":\"w0\"}}");
    }

    /** The text of token ids for {@link #writeWordTokenizer}: {@code "w12 w5"}. */
    static String words(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append(sb.length() == 0 ? "" : " ").append('w').append(id);
        }
        return sb.toString();
    }

    /** Copies the fixture's checkpoint with another config.json. */
    static Path copy(FamilyFixture f, Path dir, JsonObject config) throws IOException {
        Files.createDirectories(dir);
        Files.copy(f.dir.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }
}
