package dev.djlmetal.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.zoo.generate.TinyLlamaDirs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same tiny model from a directory, the Hugging Face Hub and a jar on the classpath. */
class ModelLocationsTest {

    private static final String PROMPT = "w7 w8 w9";

    @TempDir static Path modelDir;
    @TempDir Path cacheDir;

    private static String expected;

    private String savedOffline;

    @BeforeAll
    static void writeModel() throws Exception {
        // sharded, so that the hub download follows the index
        TinyLlamaDirs.write(modelDir, 8, 40_000);
        assertTrue(Files.exists(modelDir.resolve("model.safetensors.index.json")));
        expected = generate(criteria().optModelPath(modelDir).optEngine("Metal").build());
    }

    @BeforeEach
    void useTempCache() {
        System.setProperty("DJL_CACHE_DIR", cacheDir.toString());
        savedOffline = System.getProperty("ai.djl.offline");
        System.setProperty("ai.djl.offline", "false");
    }

    @AfterEach
    void restore() {
        System.clearProperty("DJL_CACHE_DIR");
        System.clearProperty("HF_ENDPOINT");
        if (savedOffline == null) {
            System.clearProperty("ai.djl.offline");
        } else {
            System.setProperty("ai.djl.offline", savedOffline);
        }
    }

    private static Criteria.Builder<String, String> criteria() {
        return Criteria.builder()
                .setTypes(String.class, String.class)
                .optArgument("maxNewTokens", 12);
    }

    private static String generate(Criteria<String, String> criteria) throws Exception {
        try (ZooModel<String, String> model = criteria.loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            return predictor.predict(PROMPT);
        }
    }

    @Test
    void hubModelDownloadsOnceAndPicksTheMetalEngine() throws Exception {
        assertTrue(expected.length() > 0);
        try (HubTestServer server = new HubTestServer("org/tiny", "main", modelDir)) {
            System.setProperty("HF_ENDPOINT", server.endpoint());
            // no optEngine: the dev.djlmetal group's only engine is Metal
            Criteria<String, String> criteria = criteria().optModelUrls("hf://org/tiny").build();
            assertEquals(expected, generate(criteria));
            Path cached = cacheDir.resolve("hf/org/tiny/main");
            for (String file : server.fileNames()) {
                assertTrue(Files.isRegularFile(cached.resolve(file)), file);
            }
            System.setProperty("ai.djl.offline", "true");
            int requests = server.requests.size();
            assertEquals(expected, generate(criteria));
            assertEquals(requests, server.requests.size());
        }
    }

    @Test
    void modelPackedInAJarOnTheClasspath() throws Exception {
        Path jar = cacheDir.resolve("models.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry("models/tiny-llama.zip"));
            out.write(zip(modelDir));
            out.closeEntry();
        }
        Thread thread = Thread.currentThread();
        ClassLoader saved = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, saved)) {
            thread.setContextClassLoader(loader);
            String url = "jar:///models/tiny-llama.zip";
            ModelZoo zoo = new MetalModelZoo(url);
            assertEquals(expected, generate(criteria().optModelZoo(zoo).build()));

            // DJL's own jar:// location gives the logits without any translator
            Criteria<NDList, NDList> logits =
                    Criteria.builder()
                            .setTypes(NDList.class, NDList.class)
                            .optEngine("Metal")
                            .optModelUrls(url)
                            .build();
            try (ZooModel<NDList, NDList> model = logits.loadModel();
                    Predictor<NDList, NDList> predictor = model.newPredictor();
                    NDManager manager = NDManager.newBaseManager("PyTorch")) {
                NDList out =
                        predictor.predict(
                                new NDList(manager.create(new long[] {1, 7, 8}, new Shape(1, 3))));
                assertEquals(new Shape(1, 3, 96), out.get(0).getShape());
            }
        } finally {
            thread.setContextClassLoader(saved);
        }
    }

    private static byte[] zip(Path dir) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes);
                var files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                zip.putNextEntry(new ZipEntry("tiny-llama/" + file.getFileName()));
                try (OutputStream out = new NonClosing(zip)) {
                    Files.copy(file, out);
                }
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Lets Files.copy write into the current zip entry. */
    private static final class NonClosing extends OutputStream {

        private final OutputStream out;

        NonClosing(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }
    }
}
