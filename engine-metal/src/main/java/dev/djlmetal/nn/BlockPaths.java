package dev.djlmetal.nn;

import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dotted, Hugging Face style paths of the blocks and parameters of a DJL block tree, such as {@code
 * model.layers.3.self_attn.q_proj} and {@code model.layers.3.self_attn.q_proj.weight}.
 *
 * <p>DJL names child {@code i} (0-based) of a block {@code String.format("%02d%s", i + 1, name)};
 * this class removes exactly that prefix, so children named with digits (layer indices) keep their
 * names. As in {@code MetalQuantizer.modulePaths}, children of a {@link SequentialBlock} or {@link
 * ParallelBlock} (which DJL names after their class) and children whose names collide with a
 * sibling's are addressed by their 0-based index, like PyTorch's {@code nn.Sequential}.
 */
public final class BlockPaths {

    private BlockPaths() {}

    /**
     * Returns every block of a tree by path, the root under the empty path, parents before their
     * children.
     *
     * @param root the root block
     * @return an unmodifiable, ordered map from path to block
     */
    public static Map<String, Block> blocks(Block root) {
        Map<String, Block> out = new LinkedHashMap<>();
        collectBlocks("", root, out);
        return Collections.unmodifiableMap(out);
    }

    /**
     * Returns every parameter of a tree by path ({@code <block path>.<parameter name>}).
     *
     * @param root the root block
     * @return an unmodifiable, ordered map from path to parameter
     */
    public static Map<String, Parameter> parameters(Block root) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Block> e : blocks(root).entrySet()) {
            for (Pair<String, Parameter> p : e.getValue().getDirectParameters()) {
                out.put(join(e.getKey(), p.getKey()), p.getValue());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * Returns the child name a parent gave with {@code addChildBlock}, without DJL's prefix.
     *
     * @param index the 0-based position of the child
     * @param key the key in the parent's {@link BlockList}
     * @return the name as passed to {@code addChildBlock}
     */
    public static String childName(int index, String key) {
        String prefix = String.format("%02d", index + 1);
        return key.startsWith(prefix) ? key.substring(prefix.length()) : key;
    }

    /**
     * Joins a parent path and a name with a dot.
     *
     * @param parent the parent path, empty for the root
     * @param name the child or parameter name
     * @return the joined path
     */
    public static String join(String parent, String name) {
        return parent.isEmpty() ? name : parent + '.' + name;
    }

    /**
     * Returns the path segments of a block's children, in child order: the names given to {@code
     * addChildBlock} without DJL's position prefix; the zero-based index for children of a {@link
     * SequentialBlock} or {@link ParallelBlock} (named after their class by DJL, addressed by index
     * as PyTorch addresses {@code nn.Sequential} entries), and for names that are empty or occur
     * more than once among the siblings, so every path is unique.
     *
     * @param parent the parent block
     * @return one segment per child
     */
    public static List<String> childSegments(Block parent) {
        BlockList children = parent.getChildren();
        List<String> names = new ArrayList<>(children.size());
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < children.size(); i++) {
            String name = childName(i, children.keyAt(i));
            names.add(name);
            counts.merge(name, 1, Integer::sum);
        }
        boolean indexed = parent instanceof SequentialBlock || parent instanceof ParallelBlock;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (indexed || name.isEmpty() || counts.get(name) > 1) {
                names.set(i, Integer.toString(i));
            }
        }
        return names;
    }

    private static void collectBlocks(String path, Block block, Map<String, Block> out) {
        out.put(path, block);
        List<String> segments = childSegments(block);
        BlockList children = block.getChildren();
        for (int i = 0; i < children.size(); i++) {
            collectBlocks(join(path, segments.get(i)), children.valueAt(i), out);
        }
    }
}
