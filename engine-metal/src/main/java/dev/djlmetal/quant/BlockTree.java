package dev.djlmetal.quant;

import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import dev.djlmetal.nn.BlockPaths;
import java.util.ArrayList;
import java.util.List;

/**
 * The blocks of a DJL block tree with their module paths, in pre-order.
 *
 * <p>A path is the dotted list of child segments from the root, named by {@link
 * BlockPaths#childSegments(Block)}.
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
        List<String> segments = BlockPaths.childSegments(parent);
        for (int i = 0; i < children.size(); i++) {
            Block child = children.valueAt(i);
            String segment = segments.get(i);
            String path = parentPath.isEmpty() ? segment : parentPath + '.' + segment;
            nodes.add(new Node(path, child, parent, i));
            walk(child, path);
        }
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
