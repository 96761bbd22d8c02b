package dev.djlmetal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Metal model does what a PyTorch model does with plain DJL blocks: train, save, load. */
class MetalModelParityTest {

    @TempDir Path dir;

    private static Block linearThenBatchNorm() {
        SequentialBlock block = new SequentialBlock();
        block.add(Linear.builder().setUnits(4).build());
        block.add(BatchNorm.builder().build());
        return block;
    }

    private static float[][] values(Block block) {
        return block.getParameters().values().stream()
                .map(p -> p.getArray().toFloatArray())
                .toArray(float[][]::new);
    }

    @Test
    void djlParametersSaveAndLoadAsWithPyTorch() throws IOException, MalformedModelException {
        Block saved = linearThenBatchNorm();
        float[][] expected;
        try (Model model = Model.newInstance("parity", "Metal")) {
            assertInstanceOf(MetalModel.class, model);
            assertEquals(DataType.FLOAT32, model.getDataType());
            saved.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(2, 3));
            model.setBlock(saved);
            model.save(dir, "parity");
            expected = values(saved);
        }
        assertTrue(Files.isRegularFile(dir.resolve("parity-0000.params")));

        Block fromFile = linearThenBatchNorm();
        try (Model model = Model.newInstance("parity", "Metal")) {
            model.setBlock(fromFile);
            model.load(dir);
            float[][] loaded = values(model.getBlock());
            assertEquals(expected.length, loaded.length);
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], loaded[i], "parameter " + i);
            }
        }

        Block fromStream = linearThenBatchNorm();
        try (Model model = Model.newInstance("stream", "Metal");
                InputStream in = Files.newInputStream(dir.resolve("parity-0000.params"))) {
            model.setBlock(fromStream);
            model.load(in);
            float[][] loaded = values(model.getBlock());
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], loaded[i], "parameter " + i);
            }
        }
    }

    @Test
    void trainerTakesAnSgdStep() {
        // loss = L2 = 0.5 * (w * x - y)^2 with w = 1, x = 2, y = 0: dL/dw = (w x - y) x = 4,
        // so one SGD step of rate 0.1 moves w to 1 - 0.4 = 0.6
        Block linear = Linear.builder().setUnits(1).optBias(false).build();
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.l2Loss())
                        .optInitializer(Initializer.ONES, Parameter.Type.WEIGHT)
                        .optOptimizer(
                                Optimizer.sgd()
                                        .setLearningRateTracker(Tracker.fixed(0.1f))
                                        .build());
        try (Model model = Model.newInstance("train", "Metal")) {
            model.setBlock(linear);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(1, 1));
                NDManager manager = trainer.getManager();
                NDArray x = manager.create(new float[] {2f}, new Shape(1, 1));
                NDArray y = manager.create(new float[] {0f}, new Shape(1, 1));
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDList prediction = trainer.forward(new NDList(x));
                    NDArray loss = trainer.getLoss().evaluate(new NDList(y), prediction);
                    assertEquals(2f, loss.getFloat(), 1e-6f);
                    collector.backward(loss);
                }
                trainer.step();
                float w = linear.getParameters().get("weight").getArray().getFloat();
                assertEquals(0.6f, w, 1e-6f);
            }
        }
    }

    @Test
    void quantizationOptionsWithAPlainBlockFailClearly() throws IOException {
        try (Model model = Model.newInstance("plain", "Metal")) {
            Block block = linearThenBatchNorm();
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(2, 3));
            model.setBlock(block);
            model.save(dir, "plain");
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.load(dir, "plain", Map.of("bits", "4")));
            assertTrue(e.getMessage().contains("MetalQuantizer.quantize"), e.getMessage());
        }
    }

    @Test
    void servingOptionsAreAcceptedAndMisspelledOnesNamed()
            throws IOException, MalformedModelException {
        try (Model model = Model.newInstance("served", "Metal")) {
            Block block = linearThenBatchNorm();
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(2, 3));
            model.setBlock(block);
            model.save(dir, "served");
            model.load(
                    dir,
                    "served",
                    Map.of(
                            "rolling_batch", "disable",
                            "max_rolling_batch_size", "32",
                            "tensor_parallel_degree", "1",
                            "model_id", dir.toString()));
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.load(dir, "served", Map.of("group_sise", "64")));
            assertTrue(
                    e.getMessage()
                            .startsWith("Unknown option group_sise (did you mean group_size?)"),
                    e.getMessage());
        }
    }

    @Test
    void torchScriptLoadsThroughThePyTorchEngine() throws Exception {
        Path pt = dir.resolve("linear.pt");
        try (InputStream in = getClass().getResourceAsStream("torchscript/linear.pt")) {
            Files.copy(in, pt);
        }
        // y = W x + b of linear.pt, by hand: see resources torchscript/SOURCES.md
        float[] expected = {4.6f, -0.45f};
        try (Model model = Model.newInstance("linear", "Metal")) {
            model.load(dir);
            assertEquals("linear", model.getName());
            try (NDManager manager = model.getNDManager().newSubManager()) {
                NDArray x = manager.create(new float[] {1f, 2f, 3f}, new Shape(1, 3));
                NDArray y =
                        model.getBlock()
                                .forward(new ParameterStore(manager, false), new NDList(x), false)
                                .singletonOrThrow();
                assertArrayEquals(expected, y.toFloatArray(), 1e-6f);
            }
        }
        try (Model model = Model.newInstance("stream", "Metal");
                InputStream in = Files.newInputStream(pt);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            model.load(in);
            NDArray x = manager.create(new float[] {1f, 2f, 3f}, new Shape(1, 3));
            NDArray y =
                    model.getBlock()
                            .forward(new ParameterStore(manager, false), new NDList(x), false)
                            .singletonOrThrow();
            assertArrayEquals(expected, y.toFloatArray(), 1e-6f);
        }
    }
}
