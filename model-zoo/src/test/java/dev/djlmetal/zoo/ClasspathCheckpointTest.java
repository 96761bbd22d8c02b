package dev.djlmetal.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Extraction of checkpoints packed as classpath resources. */
class ClasspathCheckpointTest {

    private static final String FOLDER = "models/tiny/";

    @TempDir Path temp;

    @Test
    void extractsTheFilesKeyedByTheirContent() throws IOException {
        Path root = temp.resolve("classes");
        writeResource(root, "config.json", "{\"model_type\":\"llama\"}");
        writeResource(root, "model.safetensors", "weights-1");
        Path cache = temp.resolve("cache");
        Path first;
        try (URLClassLoader loader = loaderOf(root)) {
            ClasspathCheckpoint checkpoint = checkpoint(loader);
            assertTrue(checkpoint.isPresent());
            first = checkpoint.extract(cache);
            assertEquals(cache.resolve("tiny"), first.getParent());
            assertEquals(checkpoint.contentHash().substring(0, 16), first.getFileName().toString());
            assertArrayEquals(
                    "weights-1".getBytes(StandardCharsets.UTF_8),
                    Files.readAllBytes(first.resolve("model.safetensors")));
            assertFalse(Files.exists(first.resolve("tokenizer.json")), "optional and absent");
            // a second checkpoint object over the same content reuses the copy
            assertEquals(first, checkpoint(loader).extract(cache));
        }
        writeResource(root, "model.safetensors", "weights-2");
        writeResource(root, "tokenizer.json", "{}");
        try (URLClassLoader loader = loaderOf(root)) {
            Path second = checkpoint(loader).extract(cache);
            assertNotEquals(first, second);
            assertArrayEquals(
                    "weights-2".getBytes(StandardCharsets.UTF_8),
                    Files.readAllBytes(second.resolve("model.safetensors")));
            assertTrue(Files.isRegularFile(second.resolve("tokenizer.json")));
        }
        try (var entries = Files.list(cache.resolve("tiny"))) {
            assertEquals(2, entries.count(), "no temporary directory is left behind");
        }
    }

    @Test
    void missingRequiredFileIsNamed() throws IOException {
        Path root = temp.resolve("classes");
        writeResource(root, "config.json", "{}");
        try (URLClassLoader loader = loaderOf(root)) {
            ClasspathCheckpoint checkpoint = checkpoint(loader);
            assertFalse(checkpoint.isPresent());
            FileNotFoundException e =
                    assertThrows(
                            FileNotFoundException.class,
                            () -> checkpoint.extract(temp.resolve("cache")));
            assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
            assertTrue(e.getMessage().contains(FOLDER), e.getMessage());
        }
    }

    private static ClasspathCheckpoint checkpoint(ClassLoader loader) {
        return new ClasspathCheckpoint(
                FOLDER,
                "tiny",
                List.of("config.json", "model.safetensors"),
                List.of("tokenizer.json"),
                loader);
    }

    private static void writeResource(Path root, String name, String content) throws IOException {
        Path file = root.resolve(FOLDER).resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    private static URLClassLoader loaderOf(Path root) throws IOException {
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
    }
}
