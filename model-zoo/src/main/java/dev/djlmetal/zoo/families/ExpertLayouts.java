package dev.djlmetal.zoo.families;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.engine.loading.CheckpointTensors;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.decoder.MoeConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a mixture-of-experts checkpoint under the model's names: every layout found in the
 * wild becomes mlx-lm's stacked {@code <block>.switch_mlp.{gate,up,down}_proj} ({@code [E, I, H]},
 * {@code [E, I, H]}, {@code [E, H, I]}).
 *
 * <ul>
 *   <li>transformers 4 (and what transformers 5 writes with {@code save_pretrained}): one module
 *       per expert, {@code <block>.experts.<e>.<gate|up|down>.<suffix>}, stacked along a new first
 *       axis; every suffix is stacked, so per-expert quantized tensors ({@code scales}, {@code
 *       biases}, {@code qbiases}) become 3-D quantized stacks;
 *   <li>transformers 5 in memory: fused 3-D parameters {@code <block>.experts.gate_up_proj} ({@code
 *       [E, 2I, H]}, gate rows first) and {@code <block>.experts.down_proj}, split into gate and
 *       up;
 *   <li>MLX / mlx-lm: the stacks themselves, float or quantized, used as stored.
 * </ul>
 *
 * <p>The block may also be renamed (transformers 5 calls Mixtral's {@code block_sparse_moe} {@code
 * mlp}). The stacks are built when a tensor is loaded; the other tensors pass through.
 */
final class ExpertLayouts implements CheckpointTensors {

    private static final String[] SUFFIXES = {"weight", "scales", "biases", "qbiases"};
    private static final String[] PROJECTIONS = {"gate_proj", "up_proj", "down_proj"};

    private final CheckpointTensors source;
    private final Map<String, Recipe> mapped = new LinkedHashMap<>();
    private final Set<String> consumed = new HashSet<>();
    private final Set<String> names;

    /**
     * Maps a checkpoint.
     *
     * @param source the stored tensors
     * @param config the model config (its MoE settings say which layers are sparse)
     * @param storedBlocks the names the checkpoint may give the sparse block, for example {@code
     *     block_sparse_moe} and {@code mlp}
     * @param perExpert the transformers 4 names of the gate, up and down projections of one expert,
     *     for example {@code w1}, {@code w3}, {@code w2}
     */
    ExpertLayouts(
            CheckpointTensors source,
            DecoderConfig config,
            List<String> storedBlocks,
            String[] perExpert) {
        this.source = source;
        MoeConfig moe = config.getMoe();
        for (int layer = 0; layer < config.getNumHiddenLayers(); layer++) {
            if (!moe.isSparse(layer)) {
                continue;
            }
            String target = "model.layers." + layer + "." + moe.getBlockName() + ".";
            for (String block : storedBlocks) {
                String stored = "model.layers." + layer + "." + block + ".";
                mapLayer(stored, target, moe.getNumExperts(), perExpert);
            }
        }
        Set<String> all = new LinkedHashSet<>();
        for (String name : source.names()) {
            if (!consumed.contains(name)) {
                all.add(name);
            }
        }
        all.addAll(mapped.keySet());
        names = Collections.unmodifiableSet(all);
    }

    private void mapLayer(String stored, String target, int experts, String[] perExpert) {
        if (!stored.equals(target)) {
            for (String name : source.names()) {
                if (name.startsWith(stored) && !name.startsWith(stored + "experts.")) {
                    add(target + name.substring(stored.length()), Recipe.rename(name));
                }
            }
        }
        for (int p = 0; p < PROJECTIONS.length; p++) {
            for (String suffix : SUFFIXES) {
                String first = stored + "experts.0." + perExpert[p] + "." + suffix;
                if (!source.contains(first)) {
                    continue;
                }
                List<String> parts = new ArrayList<>(experts);
                for (int e = 0; e < experts; e++) {
                    String part = stored + "experts." + e + "." + perExpert[p] + "." + suffix;
                    if (!source.contains(part)) {
                        throw new IllegalArgumentException(
                                "Missing tensor "
                                        + part
                                        + " in "
                                        + source.location()
                                        + ": the checkpoint stores one module per expert and has "
                                        + first
                                        + ", but the model has "
                                        + experts
                                        + " experts");
                    }
                    parts.add(part);
                }
                add(target + "switch_mlp." + PROJECTIONS[p] + "." + suffix, Recipe.stack(parts));
            }
        }
        String gateUp = stored + "experts.gate_up_proj";
        if (source.contains(gateUp)) {
            Shape shape = source.shape(gateUp);
            if (shape.dimension() != 3 || shape.get(1) % 2 != 0) {
                throw new IllegalArgumentException(
                        "Tensor "
                                + gateUp
                                + " in "
                                + source.fileOf(gateUp)
                                + " has shape "
                                + shape
                                + "; expected the fused [experts, 2 * intermediate, hidden]");
            }
            long half = shape.get(1) / 2;
            add(target + "switch_mlp.gate_proj.weight", Recipe.rows(gateUp, 0, half));
            add(target + "switch_mlp.up_proj.weight", Recipe.rows(gateUp, half, half));
        }
        String down = stored + "experts.down_proj";
        if (source.contains(down)) {
            add(target + "switch_mlp.down_proj.weight", Recipe.rename(down));
        }
    }

    private void add(String name, Recipe recipe) {
        if (mapped.containsKey(name) || (source.contains(name) && !recipe.parts.contains(name))) {
            throw new IllegalArgumentException(
                    "Tensor "
                            + name
                            + " is stored twice in "
                            + source.location()
                            + " (in more than one expert layout: "
                            + recipe.parts.get(0)
                            + ")");
        }
        mapped.put(name, recipe);
        consumed.addAll(recipe.parts);
    }

    /** {@inheritDoc} */
    @Override
    public String location() {
        return source.location();
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> names() {
        return names;
    }

    /** {@inheritDoc} */
    @Override
    public boolean contains(String name) {
        return names.contains(name);
    }

    /** {@inheritDoc} */
    @Override
    public Shape shape(String name) {
        Recipe recipe = mapped.get(name);
        if (recipe == null) {
            return source.shape(name);
        }
        Shape first = source.shape(recipe.parts.get(0));
        if (recipe.rowStart >= 0) {
            return new Shape(first.get(0), recipe.rowCount, first.get(2));
        }
        if (!recipe.stack) {
            return first;
        }
        for (String part : recipe.parts) {
            if (!source.shape(part).equals(first) || !source.dtype(part).equals(dtype(name))) {
                throw new IllegalArgumentException(
                        "The experts of "
                                + name
                                + " differ: "
                                + part
                                + " is "
                                + source.dtype(part)
                                + " "
                                + source.shape(part)
                                + ", "
                                + recipe.parts.get(0)
                                + " is "
                                + source.dtype(recipe.parts.get(0))
                                + " "
                                + first);
            }
        }
        return new Shape(recipe.parts.size()).addAll(first);
    }

    /** {@inheritDoc} */
    @Override
    public String dtype(String name) {
        Recipe recipe = mapped.get(name);
        return source.dtype(recipe == null ? name : recipe.parts.get(0));
    }

    /** {@inheritDoc} */
    @Override
    public String fileOf(String name) {
        Recipe recipe = mapped.get(name);
        return source.fileOf(recipe == null ? name : recipe.parts.get(0));
    }

    /** {@inheritDoc} */
    @Override
    public NDArray load(NDManager manager, String name) {
        Recipe recipe = mapped.get(name);
        if (recipe == null) {
            return source.load(manager, name);
        }
        shape(name); // checks that the experts agree
        if (recipe.rowStart >= 0) {
            try (NDManager scratch = manager.newSubManager()) {
                NDArray fused = source.load(scratch, recipe.parts.get(0));
                NDArray rows =
                        fused.get(":, {}:{}", recipe.rowStart, recipe.rowStart + recipe.rowCount)
                                .duplicate();
                rows.attach(manager);
                return rows;
            }
        }
        if (!recipe.stack) {
            return source.load(manager, recipe.parts.get(0));
        }
        try (NDManager scratch = manager.newSubManager()) {
            NDList parts = new NDList(recipe.parts.size());
            for (String part : recipe.parts) {
                parts.add(source.load(scratch, part));
            }
            NDArray stacked = NDArrays.stack(parts, 0);
            stacked.attach(manager);
            return stacked;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        source.close();
    }

    /** How a model tensor is made: one stored tensor renamed, stacked ones, or fused rows. */
    private static final class Recipe {

        final List<String> parts;
        final boolean stack;
        final long rowStart;
        final long rowCount;

        private Recipe(List<String> parts, boolean stack, long rowStart, long rowCount) {
            this.parts = parts;
            this.stack = stack;
            this.rowStart = rowStart;
            this.rowCount = rowCount;
        }

        static Recipe rename(String name) {
            return new Recipe(List.of(name), false, -1, 0);
        }

        static Recipe stack(List<String> parts) {
            return new Recipe(parts, true, -1, 0);
        }

        static Recipe rows(String fused, long start, long count) {
            return new Recipe(List.of(fused), false, start, count);
        }
    }
}
