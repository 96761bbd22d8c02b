package dev.djlmetal.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.djlmetal.quant.MetalQuantizer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockPathsTest {

    /** A container with children named like Hugging Face module lists: 0, 1, ..., 11. */
    private static final class Layers extends AbstractBlock {
        Layers(int count) {
            for (int i = 0; i < count; i++) {
                SequentialBlock layer = new SequentialBlock();
                layer.add(Linear.builder().setUnits(4).build());
                layer.add(LayerNorm.builder().build());
                addChildBlock(Integer.toString(i), layer);
            }
            addChildBlock("lm_head", Linear.builder().setUnits(4).build());
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore ps,
                NDList inputs,
                boolean training,
                PairList<String, Object> params) {
            return inputs;
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    @Test
    void pathsStripDjlPrefixesByPositionAndAgreeWithTheQuantizer() {
        Block root = new Layers(12);
        List<String> paths = new ArrayList<>(BlockPaths.blocks(root).keySet());
        assertEquals("", paths.get(0));
        assertTrue(paths.contains("0.0"), paths.toString());
        assertTrue(paths.contains("10.1"), paths.toString());
        assertTrue(paths.contains("11"), paths.toString());
        assertTrue(paths.contains("lm_head"), paths.toString());
        assertEquals(MetalQuantizer.modulePaths(root), paths.subList(1, paths.size()));
        assertTrue(BlockPaths.parameters(root).containsKey("10.0.weight"));
        assertTrue(BlockPaths.parameters(root).containsKey("lm_head.bias"));
    }
}
