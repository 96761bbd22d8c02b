package dev.djlmetal.quant;

import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockList;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every place of a block tree that refers to one block: entries of the parents' child lists and
 * instance fields of any block in the tree. Replacing a block means updating all of them, or none.
 */
final class BlockReferences {

    private static final Field CHILDREN_FIELD = childrenField();

    private final List<Slot> slots;

    private BlockReferences(List<Slot> slots) {
        this.slots = slots;
    }

    private static Field childrenField() {
        try {
            Field field = AbstractBlock.class.getDeclaredField("children");
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("ai.djl.nn.AbstractBlock has no children field", e);
        }
    }

    /**
     * Finds the references to {@code target} in a tree.
     *
     * @param tree the tree
     * @param target the block to find
     * @return the references
     */
    static BlockReferences find(BlockTree tree, Block target) {
        List<Slot> slots = new ArrayList<>();
        Map<Block, Boolean> seen = new IdentityHashMap<>();
        for (BlockTree.Node node : tree.nodes()) {
            if (node.block == target && node.parent != null) {
                slots.add(new ChildSlot(node.parent, node.childIndex));
            }
            if (seen.put(node.block, Boolean.TRUE) == null) {
                addFieldSlots(node.block, target, slots);
            }
        }
        return new BlockReferences(slots);
    }

    private static void addFieldSlots(Block owner, Block target, List<Slot> slots) {
        for (Class<?> c = owner.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()) {
                    continue;
                }
                if (!field.getType().isAssignableFrom(target.getClass())) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    if (field.get(owner) == target) {
                        slots.add(new FieldSlot(owner, field));
                    }
                } catch (InaccessibleObjectException | IllegalAccessException e) {
                    slots.add(new UnreadableFieldSlot(field, e));
                }
            }
        }
    }

    /**
     * Returns why the references cannot all be pointed at a block of type {@code replacement}.
     *
     * @param replacement the replacement's class
     * @return the reason, or null when every reference can be replaced
     */
    String whyNotReplaceableBy(Class<? extends Block> replacement) {
        if (slots.isEmpty()) {
            return "the root block cannot be replaced in place";
        }
        for (Slot slot : slots) {
            String reason = slot.whyNotReplaceableBy(replacement);
            if (reason != null) {
                return reason;
            }
        }
        return null;
    }

    /**
     * Points every reference at {@code replacement}. Call only after {@link
     * #whyNotReplaceableBy(Class)} returned null.
     *
     * @param replacement the new block
     */
    void replaceWith(Block replacement) {
        for (Slot slot : slots) {
            slot.replaceWith(replacement);
        }
    }

    private interface Slot {

        String whyNotReplaceableBy(Class<? extends Block> replacement);

        void replaceWith(Block replacement);
    }

    /** An entry of a parent's child list. */
    private static final class ChildSlot implements Slot {

        private final Block parent;
        private final int index;

        ChildSlot(Block parent, int index) {
            this.parent = parent;
            this.index = index;
        }

        @Override
        public String whyNotReplaceableBy(Class<? extends Block> replacement) {
            if (!(parent instanceof AbstractBlock)) {
                return "its parent "
                        + parent.getClass().getName()
                        + " does not extend ai.djl.nn.AbstractBlock, so its children cannot be"
                        + " replaced";
            }
            return null;
        }

        @Override
        public void replaceWith(Block replacement) {
            try {
                BlockList children = (BlockList) CHILDREN_FIELD.get(parent);
                String name = children.keyAt(index);
                children.remove(index);
                children.add(index, name, replacement);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("Cannot update the children of " + parent, e);
            }
        }
    }

    /** An instance field that holds the block. */
    private static final class FieldSlot implements Slot {

        private final Object owner;
        private final Field field;

        FieldSlot(Object owner, Field field) {
            this.owner = owner;
            this.field = field;
        }

        @Override
        public String whyNotReplaceableBy(Class<? extends Block> replacement) {
            if (!field.getType().isAssignableFrom(replacement)) {
                return "field "
                        + field.getDeclaringClass().getName()
                        + '.'
                        + field.getName()
                        + " is declared as "
                        + field.getType().getName()
                        + ", which cannot hold a "
                        + replacement.getSimpleName();
            }
            return null;
        }

        @Override
        public void replaceWith(Block replacement) {
            try {
                field.set(owner, replacement);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(
                        "Cannot set field " + field.getDeclaringClass().getName() + '.' + field, e);
            }
        }
    }

    /** A field that might hold the block but cannot be read. */
    private static final class UnreadableFieldSlot implements Slot {

        private final Field field;
        private final Exception cause;

        UnreadableFieldSlot(Field field, Exception cause) {
            this.field = field;
            this.cause = cause;
        }

        @Override
        public String whyNotReplaceableBy(Class<? extends Block> replacement) {
            return "field "
                    + field.getDeclaringClass().getName()
                    + '.'
                    + field.getName()
                    + " cannot be inspected ("
                    + cause.getMessage()
                    + ')';
        }

        @Override
        public void replaceWith(Block replacement) {
            throw new IllegalStateException(whyNotReplaceableBy(Block.class));
        }
    }
}
