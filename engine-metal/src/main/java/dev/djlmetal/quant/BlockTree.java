package dev.djlmetal.quant;

import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The blocks of a DJL block tree with their module paths, in pre-order.
 *
 * <p>A path is the dotted list of child names from the root. {@code AbstractBlock.addChildBlock}
 * stores names with a two-digit position prefix ({@code "01q_proj"}); the prefix is stripped.
 * Children of a {@link SequentialBlock} or {@link ParallelBlock} are named after their class by
 * DJL, so they are addressed by their zero-based index instead, as PyTorch addresses
 * {@code nn.Sequential} and {@code nn.ModuleList} entries ({@code layers.0.mlp.up_proj}). Among the
 * children of any other block, names that occur more than once are replaced by the index as well,
 * so every path is unique.
 */
final class BlockTree {

    private final List<Node> nodes = new ArrayList<>();

    private BlockTree() {}

    /**
     * Walks a block tree.
     *
     * @param root the root block (path {@code ""})
     * @return the tree
     */
    static BlockTree of(Block root) {
        BlockTree tree = new BlockTree();
        tree.nodes.add(new Node("", root, null, -1));
        tree.walk(root, "");
        return tree;
    }

    private void walk(Block parent, String parentPath) {
        BlockList children = parent.getChildren();
        List<String> segments = segments(parent, children);
        for (int i = 0; i < children.size(); i++) {
            Block child = children.valueAt(i);
            String segment = segments.get(i);
            String path = parentPath.isEmpty() ? segment : parentPath + '.' + segment;
            nodes.add(new Node(path, child, parent, i));
            walk(child, path);
        }
    }

    private static List<String> segments(Block parent, BlockList children) {
        List<String> names = new ArrayList<>(children.size());
        boolean indexed = parent instanceof SequentialBlock || parent instanceof ParallelBlock;
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < children.size(); i++) {
            String name = stripPrefix(children.keyAt(i), i);
            names.add(name);
            counts.merge(name, 1, Integer::sum);
        }
        for (int i = 0; i < names.size(); i++) {
            if (indexed || counts.get(names.get(i)) > 1 || names.get(i).isEmpty()) {
                names.set(i, Integer.toString(i));
            }
        }
        return names;
    }

    private static String stripPrefix(String name, int index) {
        String prefix = String.format(Locale.ROOT, "%02d", index + 1);
        return name.startsWith(prefix) ? name.substring(prefix.length()) : name;
    }

    /**
     * Returns every block with its path, the root first.
     *
     * @return the nodes in pre-order
     */
    List<Node> nodes() {
        return nodes;
    }

    /** One block of the tree. */
    static final class Node {

        final String path;
        final Block block;
        final Block parent;
        final int childIndex;

        Node(String path, Block block, Block parent, int childIndex) {
            this.path = path;
            this.block = block;
            this.parent = parent;
            this.childIndex = childIndex;
        }
    }
}
