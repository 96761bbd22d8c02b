package dev.djlmetal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.nn.LambdaBlock;
import ai.djl.repository.zoo.Criteria;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.quant.MetalConfig;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetalModelTest {

    @TempDir Path dir;

    /** A loader that records its arguments and fills the model as the model-zoo loader does. */
    private static final class RecordingLoader implements ModelLoader {

        MetalModel model;
        Path modelDir;
        Map<String, ?> options;
        MetalConfig config;
        final CloseableBlock block = new CloseableBlock(new ArrayList<>());

        @Override
        public void load(
                MetalModel model, Path modelDir, Map<String, ?> options, MetalConfig config) {
            this.model = model;
            this.modelDir = modelDir;
            this.options = options;
            this.config = config;
            model.setBlock(block);
            model.setConfig(config.toBuilder().optQuantizeEmbeddings(true).build());
            model.setBackendKind(BackendKind.NDARRAY);
            model.setQuantizationReport("3 layers quantized");
        }
    }

    /** A block that records its closing. */
    private static final class CloseableBlock extends LambdaBlock implements AutoCloseable {

        private final List<String> log;

        CloseableBlock(List<String> log) {
            super(NDList::new);
            this.log = log;
        }

        @Override
        public void close() {
            log.add("block");
        }
    }

    private static MetalModel newModel() {
        return new MetalModel("tiny", Device.cpu());
    }

    @Test
    void badOptionFailsBeforeAnyLoaderRuns() {
        RecordingLoader loader = new RecordingLoader();
        try (MetalModel model = newModel()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.load(dir, null, Map.of("bits", "7"), List.of(loader)));
            assertEquals("Unsupported bits=7; allowed values: [2, 3, 4, 5, 6, 8]", e.getMessage());
            assertNull(loader.model);
            assertNull(model.getConfig());
        }
    }

    @Test
    void publicLoadParsesOptionsFirst() {
        try (MetalModel model = newModel()) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> model.load(dir, null, Map.of("dequantize", "yes")));
            assertEquals(
                    "Unsupported dequantize=yes; allowed values: [true, false]", e.getMessage());
        }
    }

    @Test
    void criteriaOptionsReachTheModel() {
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(dir)
                        .optEngine("Metal")
                        .optOption("bits", "7")
                        .build();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, criteria::loadModel);
        assertEquals("Unsupported bits=7; allowed values: [2, 3, 4, 5, 6, 8]", e.getMessage());
    }

    @Test
    void loadWithoutInstalledLoaderNamesTheModelZoo() {
        try (MetalModel model = newModel()) {
            MalformedModelException e =
                    assertThrows(MalformedModelException.class, () -> model.load(dir, null, null));
            assertTrue(e.getMessage().startsWith("No djl-metal model loader is installed"));
            assertTrue(e.getMessage().contains("model-zoo"), e.getMessage());
        }
    }

    @Test
    void missingModelPathIsReported() {
        Path missing = dir.resolve("nope");
        try (MetalModel model = newModel()) {
            FileNotFoundException e =
                    assertThrows(
                            FileNotFoundException.class,
                            () -> model.load(missing, null, Map.of(), List.of()));
            assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        }
    }

    @Test
    void loadDelegatesToTheLoader() throws IOException, MalformedModelException {
        RecordingLoader loader = new RecordingLoader();
        Map<String, Object> options = Map.of("bits", "8", "format", "mlx");
        try (MetalModel model = newModel()) {
            model.load(dir, "renamed", options, List.of(loader));
            assertSame(model, loader.model);
            assertEquals(dir.toAbsolutePath(), loader.modelDir);
            assertEquals(dir.toAbsolutePath(), model.getModelPath());
            assertSame(options, loader.options);
            assertEquals(MetalConfig.builder().optBits(8).build(), loader.config);
            assertEquals(
                    MetalConfig.builder().optBits(8).optQuantizeEmbeddings(true).build(),
                    model.getConfig());
            assertSame(loader.block, model.getBlock());
            assertEquals(BackendKind.NDARRAY, model.getBackendKind());
            assertEquals("3 layers quantized", model.getQuantizationReport());
            assertEquals("renamed", model.getName());
        }
    }

    @Test
    void fileInsideTheCheckpointSelectsItsDirectory() throws IOException, MalformedModelException {
        Path file = Files.writeString(dir.resolve("config.json"), "{}");
        RecordingLoader loader = new RecordingLoader();
        try (MetalModel model = newModel()) {
            model.load(file, null, null, List.of(loader));
            assertEquals(dir.toAbsolutePath(), loader.modelDir);
            assertEquals(Map.of(), loader.options);
            assertEquals("tiny", model.getName());
        }
    }

    @Test
    void failedLoadLeavesNoConfig() {
        ModelLoader failing =
                (model, modelDir, options, config) -> {
                    throw new MalformedModelException("unsupported model_type=gpt2");
                };
        try (MetalModel model = newModel()) {
            MalformedModelException e =
                    assertThrows(
                            MalformedModelException.class,
                            () -> model.load(dir, null, Map.of(), List.of(failing)));
            assertEquals("unsupported model_type=gpt2", e.getMessage());
            assertNull(model.getConfig());
        }
    }

    @Test
    void closeClosesBlockThenResourcesInReverseThenManager() {
        List<String> log = new ArrayList<>();
        MetalModel model = newModel();
        model.setBlock(new CloseableBlock(log));
        model.addResource(() -> log.add("checkpoint"));
        model.addResource(
                () -> {
                    log.add("backend");
                    throw new IllegalStateException("backend close failed");
                });
        model.addResource(() -> log.add("weights"));
        model.close();
        assertEquals(List.of("block", "weights", "backend", "checkpoint"), log);
        assertFalse(model.getNDManager().isOpen());
        model.close();
        assertEquals(4, log.size());
        assertThrows(IllegalStateException.class, () -> model.addResource(() -> {}));
    }
}
