package dev.djlmetal.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import dev.djlmetal.engine.loading.CheckpointLoader;
import dev.djlmetal.engine.loading.LoadedCheckpoint;
import dev.djlmetal.nn.BlockPaths;
import dev.djlmetal.nn.MetalQuantizedEmbedding;
import dev.djlmetal.nn.MetalQuantizedLinear;
import dev.djlmetal.quant.QuantizedTensor;
import dev.djlmetal.zoo.decoder.ArrayDecoder;
import dev.djlmetal.zoo.decoder.ArraySequence;
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.decoder.KvCache;
import dev.djlmetal.zoo.generate.TokenSampler;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One configuration of {@link DecodeBenchmark}, run in the current process: loads the random model,
 * then times a prefill of {@code prefillTokens} and a greedy decode of {@code tokens} after a short
 * prompt, and records the resident memory.
 */
public final class DecodeRun {

    private final DecodeConfiguration configuration;
    private final int layers;
    private final int promptTokens;
    private final int prefillTokens;
    private final int tokens;
    private final boolean ndarrayPath;
    private final int[] batches;
    private final int longContext;

    /**
     * Creates a run.
     *
     * @param configuration the weights and backend
     * @param layers the decoder layers (16 for the real shape)
     * @param promptTokens the prompt length before the timed decode
     * @param prefillTokens the length of the timed prefill
     * @param tokens the tokens decoded in the timed decode
     * @param ndarrayPath true to decode through the model's NDArray forward pass even when the
     *     array path ({@link ArrayDecoder}) can run it
     * @param batches the numbers of sequences to decode together (empty for none)
     * @param longContext the context of the long-context decode (0 for none)
     */
    public DecodeRun(
            DecodeConfiguration configuration,
            int layers,
            int promptTokens,
            int prefillTokens,
            int tokens,
            boolean ndarrayPath,
            int[] batches,
            int longContext) {
        this.configuration = configuration;
        this.layers = layers;
        this.promptTokens = promptTokens;
        this.prefillTokens = prefillTokens;
        this.tokens = tokens;
        this.ndarrayPath = ndarrayPath;
        this.batches = batches.clone();
        this.longContext = longContext;
    }

    /**
     * Loads the model and measures it.
     *
     * @return the measurements as a JSON object (the fields {@link DecodeBenchmark} prints)
     */
    public JsonObject run() {
        Engine.getInstance().setRandomSeed(42);
        JsonObject result = new JsonObject();
        result.addProperty("configuration", configuration.getFlagName());
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            manager.ones(new Shape(4)).close();
            result.addProperty("rssBeforeLoad", ProcessMemory.residentBytes());
            RandomLlamaCheckpoint checkpoint =
                    configuration.getSpec() == null
                            ? RandomLlamaCheckpoint.floatCheckpoint(layers)
                            : RandomLlamaCheckpoint.mlxCheckpoint(layers, configuration.getSpec());
            Map<String, String> options = new HashMap<>();
            options.put("backend", configuration.getBackend().getOptionName());
            long start = System.nanoTime();
            LoadedCheckpoint loaded =
                    CheckpointLoader.load(checkpoint.getConfig(), checkpoint, options, manager);
            result.addProperty("loadSeconds", (System.nanoTime() - start) / 1e9);
            result.addProperty("weightBytes", weightBytes(loaded.getBlock()));
            result.addProperty("multiplyAdds", matrixElements(loaded.getBlock()));
            result.addProperty("rssAfterLoad", ProcessMemory.residentBytes());
            CausalLM model = (CausalLM) loaded.getBlock();
            int vocab = model.getConfig().getVocabSize();
            SplittableRandom random = new SplittableRandom(7);
            ArrayDecoder arrays = ndarrayPath ? null : arrayDecoder(model);
            result.addProperty("decodePath", arrays == null ? "ndarray" : "array");

            // warm-up: C2 compiles the kernels and the decode arithmetic (interpreted Vector API
            // code is about a hundred times slower), over at least as many tokens as are timed
            decode(
                    model,
                    arrays,
                    manager,
                    prompts(random, 1, promptTokens, vocab),
                    Math.max(32, tokens));
            for (int batch : batches) {
                decode(model, arrays, manager, prompts(random, batch, promptTokens, vocab), 4);
            }
            long[] prefill = randomIds(random, prefillTokens, vocab);
            try (NDManager step = manager.newSubManager()) {
                NDArray ids = step.create(prefill, new Shape(1, prefill.length));
                long cpuStart = cpuNanos();
                start = System.nanoTime();
                NDList out = model.forward(ids, KvCache.empty(), null, 1);
                lastArgmax(out.head());
                result.addProperty("prefillSeconds", (System.nanoTime() - start) / 1e9);
                result.addProperty("prefillCpuSeconds", (cpuNanos() - cpuStart) / 1e9);
                result.addProperty("prefillTokens", prefill.length);
            }
            double[] seconds =
                    decode(model, arrays, manager, prompts(random, 1, promptTokens, vocab), tokens);
            result.addProperty("decodeSeconds", seconds[0]);
            result.addProperty("decodeCpuSeconds", seconds[1]);
            result.addProperty("decodeTokens", tokens);
            // memory after prefill and decode, before the batched and long-context runs (a long
            // prefill's attention scores leave the engine's allocator holding much more)
            result.addProperty("rssAfterRun", ProcessMemory.residentBytes());
            result.addProperty("peakRss", ProcessMemory.peakResidentBytes());
            result.addProperty(
                    "javaHeapCommitted",
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted());
            JsonObject batched = new JsonObject();
            for (int batch : batches) {
                double[] b =
                        decode(
                                model,
                                arrays,
                                manager,
                                prompts(random, batch, promptTokens, vocab),
                                tokens);
                batched.addProperty(String.valueOf(batch), b[0]);
            }
            result.add("batchSeconds", batched);
            if (longContext > 0) {
                int decoded = Math.min(tokens, longContext / 2);
                long[][] prompt = prompts(random, 1, longContext - decoded, vocab);
                double[] l = decode(model, arrays, manager, prompt, decoded);
                result.addProperty("longContext", longContext);
                result.addProperty("longContextTokens", decoded);
                result.addProperty("longContextSeconds", l[0]);
            }
        }
        return result;
    }

    private static ArrayDecoder arrayDecoder(CausalLM model) {
        try {
            return ArrayDecoder.create(model);
        } catch (UnsupportedOperationException e) {
            return null;
        }
    }

    private static long[][] prompts(SplittableRandom random, int count, int length, int vocab) {
        long[][] prompts = new long[count][];
        for (int i = 0; i < count; i++) {
            prompts[i] = randomIds(random, length, vocab);
        }
        return prompts;
    }

    /**
     * Prefills the prompts, then decodes greedily, all sequences stepping together; returns the
     * wall-clock and CPU seconds of the decode steps.
     */
    private static double[] decode(
            CausalLM model, ArrayDecoder arrays, NDManager manager, long[][] prompts, int steps) {
        if (arrays != null) {
            return decodeArrays(arrays, manager, prompts, steps);
        }
        try (NDManager session = manager.newSubManager()) {
            int batch = prompts.length;
            long[] ids = new long[batch * prompts[0].length];
            for (int b = 0; b < batch; b++) {
                System.arraycopy(prompts[b], 0, ids, b * prompts[0].length, prompts[b].length);
            }
            NDList cache;
            long[] next;
            try (NDManager step = session.newSubManager()) {
                NDList out =
                        model.forward(
                                step.create(ids, new Shape(batch, prompts[0].length)),
                                KvCache.empty(),
                                null,
                                1);
                next = lastArgmax(out.head());
                cache = out.subNDList(1);
                cache.attach(session);
            }
            long cpuStart = cpuNanos();
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                try (NDManager step = session.newSubManager()) {
                    NDList out =
                            model.forward(
                                    step.create(next, new Shape(batch, 1)),
                                    KvCache.of(cache),
                                    null,
                                    1);
                    next = lastArgmax(out.head());
                    NDList present = out.subNDList(1);
                    present.attach(session);
                    cache.close();
                    cache = present;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new double[] {seconds, (cpuNanos() - cpuStart) / 1e9};
        }
    }

    private static double[] decodeArrays(
            ArrayDecoder arrays, NDManager manager, long[][] prompts, int steps) {
        try (NDManager session = manager.newSubManager()) {
            List<ArraySequence> sequences = new ArrayList<>();
            long[] next = new long[prompts.length];
            for (int b = 0; b < prompts.length; b++) {
                ArraySequence sequence = arrays.newSequence(prompts[b].length + steps);
                next[b] = TokenSampler.argmax(arrays.prefill(sequence, prompts[b], session));
                sequences.add(sequence);
            }
            long cpuStart = cpuNanos();
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                float[][] logits = arrays.step(sequences, next, session);
                for (int b = 0; b < logits.length; b++) {
                    next[b] = TokenSampler.argmax(logits[b]);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new double[] {seconds, (cpuNanos() - cpuStart) / 1e9};
        }
    }

    /** Returns the CPU time of all threads of this process, or 0 when it is not measurable. */
    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return 0;
    }

    /** Returns the argmax of each row's last position. */
    private static long[] lastArgmax(NDArray logits) {
        long positions = logits.getShape().get(1);
        return logits.get(":, {}", positions - 1).argMax(-1).toLongArray();
    }

    private static long[] randomIds(SplittableRandom random, int length, int vocab) {
        long[] ids = new long[length];
        for (int i = 0; i < length; i++) {
            ids[i] = random.nextInt(vocab);
        }
        return ids;
    }

    /**
     * Returns the bytes of weights a decode step reads: the packed codes, scales and biases of
     * every quantized module (the tied embedding's table once, for the output projection) plus
     * every float parameter.
     */
    private static long weightBytes(Block root) {
        long bytes = 0;
        Map<String, Block> blocks = BlockPaths.blocks(root);
        for (Map.Entry<String, Block> e : blocks.entrySet()) {
            Block b = e.getValue();
            if (b instanceof MetalQuantizedLinear) {
                bytes += ((MetalQuantizedLinear) b).getQuantizedWeight().byteSize();
            } else if (b instanceof MetalQuantizedEmbedding) {
                bytes += ((MetalQuantizedEmbedding) b).getQuantizedWeight().byteSize();
            }
        }
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(root).entrySet()) {
            String name = e.getKey();
            String module = name.substring(0, Math.max(0, name.lastIndexOf('.')));
            Block owner = blocks.get(module);
            boolean quantized =
                    owner instanceof MetalQuantizedLinear
                            || owner instanceof MetalQuantizedEmbedding;
            NDArray array = e.getValue().isInitialized() ? e.getValue().getArray() : null;
            if (!quantized && array != null) {
                bytes += array.size() * array.getDataType().getNumOfBytes();
            }
        }
        return bytes;
    }

    /**
     * Counts the elements of the model's weight matrices: the multiply-adds of one token through
     * the linear layers and the (tied) output projection, which dominate a step at short contexts.
     */
    private static long matrixElements(Block root) {
        long elements = 0;
        Map<String, Block> blocks = BlockPaths.blocks(root);
        for (Block b : blocks.values()) {
            if (b instanceof MetalQuantizedLinear) {
                elements += matrixSize(((MetalQuantizedLinear) b).getQuantizedWeight());
            } else if (b instanceof MetalQuantizedEmbedding) {
                elements += matrixSize(((MetalQuantizedEmbedding) b).getQuantizedWeight());
            }
        }
        for (Map.Entry<String, Parameter> e : BlockPaths.parameters(root).entrySet()) {
            String name = e.getKey();
            Block owner = blocks.get(name.substring(0, Math.max(0, name.lastIndexOf('.'))));
            boolean quantized =
                    owner instanceof MetalQuantizedLinear
                            || owner instanceof MetalQuantizedEmbedding;
            NDArray array = e.getValue().isInitialized() ? e.getValue().getArray() : null;
            if (!quantized && array != null && array.getShape().dimension() == 2) {
                elements += array.size();
            }
        }
        return elements;
    }

    private static long matrixSize(QuantizedTensor weight) {
        return weight.rows() * weight.columns();
    }
}
