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
import dev.djlmetal.zoo.decoder.CausalLM;
import dev.djlmetal.zoo.decoder.KvCache;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
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

    /**
     * Creates a run.
     *
     * @param configuration the weights and backend
     * @param layers the decoder layers (16 for the real shape)
     * @param promptTokens the prompt length before the timed decode
     * @param prefillTokens the length of the timed prefill
     * @param tokens the tokens decoded in the timed decode
     */
    public DecodeRun(
            DecodeConfiguration configuration,
            int layers,
            int promptTokens,
            int prefillTokens,
            int tokens) {
        this.configuration = configuration;
        this.layers = layers;
        this.promptTokens = promptTokens;
        this.prefillTokens = prefillTokens;
        this.tokens = tokens;
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
            result.addProperty("rssAfterLoad", ProcessMemory.residentBytes());
            CausalLM model = (CausalLM) loaded.getBlock();
            int vocab = model.getConfig().getVocabSize();
            SplittableRandom random = new SplittableRandom(7);

            decode(model, manager, randomIds(random, promptTokens, vocab), 2);
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
                    decode(model, manager, randomIds(random, promptTokens, vocab), tokens);
            result.addProperty("decodeSeconds", seconds[0]);
            result.addProperty("decodeCpuSeconds", seconds[1]);
            result.addProperty("decodeTokens", tokens);
            result.addProperty("rssAfterRun", ProcessMemory.residentBytes());
            result.addProperty("peakRss", ProcessMemory.peakResidentBytes());
            result.addProperty(
                    "javaHeapCommitted",
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted());
        }
        return result;
    }

    /** Forwards the prompt, then decodes greedily; returns the seconds of the decode steps. */
    private static double[] decode(CausalLM model, NDManager manager, long[] prompt, int steps) {
        try (NDManager session = manager.newSubManager()) {
            NDList cache;
            long next;
            long cpuStart;
            try (NDManager step = session.newSubManager()) {
                NDList out =
                        model.forward(
                                step.create(prompt, new Shape(1, prompt.length)),
                                KvCache.empty(),
                                null,
                                1);
                next = lastArgmax(out.head());
                cache = out.subNDList(1);
                cache.attach(session);
            }
            cpuStart = cpuNanos();
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                try (NDManager step = session.newSubManager()) {
                    NDList out =
                            model.forward(
                                    step.create(new long[] {next}, new Shape(1, 1)),
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

    /** Returns the CPU time of all threads of this process, or 0 when it is not measurable. */
    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        return 0;
    }

    private static long lastArgmax(NDArray logits) {
        long positions = logits.getShape().get(1);
        return logits.get("0, {}", positions - 1).argMax().toLongArray()[0];
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
}
