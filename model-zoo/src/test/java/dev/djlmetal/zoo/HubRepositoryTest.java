package dev.djlmetal.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.repository.Artifact;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.util.Progress;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubRepositoryTest {

    @TempDir Path modelDir;
    @TempDir Path cacheDir;

    private HubTestServer server;
    private String savedOffline;

    @BeforeEach
    void setUp() throws IOException {
        Random random = new Random(3);
        byte[] shard1 = new byte[300_000];
        byte[] shard2 = new byte[123_457];
        random.nextBytes(shard1);
        random.nextBytes(shard2);
        Files.writeString(modelDir.resolve("config.json"), "{\"model_type\": \"llama\"}");
        Files.writeString(modelDir.resolve("tokenizer.json"), "{\"version\": \"1.0\"}");
        Files.writeString(
                modelDir.resolve("model.safetensors.index.json"),
                "{\"metadata\": {}, \"weight_map\": {"
                        + "\"a.weight\": \"model-00001-of-00002.safetensors\","
                        + "\"b.weight\": \"model-00002-of-00002.safetensors\","
                        + "\"c.weight\": \"model-00001-of-00002.safetensors\"}}");
        Files.write(modelDir.resolve("model-00001-of-00002.safetensors"), shard1);
        Files.write(modelDir.resolve("model-00002-of-00002.safetensors"), shard2);
        server = new HubTestServer("org/tiny", "main", modelDir);
        System.setProperty("HF_ENDPOINT", server.endpoint());
        System.setProperty("DJL_CACHE_DIR", cacheDir.toString());
        savedOffline = System.getProperty("ai.djl.offline");
        System.setProperty("ai.djl.offline", "false");
    }

    @AfterEach
    void tearDown() {
        server.close();
        System.clearProperty("HF_ENDPOINT");
        System.clearProperty("DJL_CACHE_DIR");
        System.clearProperty("HF_TOKEN");
        if (savedOffline == null) {
            System.clearProperty("ai.djl.offline");
        } else {
            System.setProperty("ai.djl.offline", savedOffline);
        }
    }

    private static HubRepository repository(String uri) {
        Repository repository = Repository.newInstance("test", uri);
        return assertInstanceOf(HubRepository.class, repository);
    }

    private static Artifact artifact(HubRepository repository) throws IOException {
        MRL mrl = repository.getResources().get(0);
        return mrl.match(null);
    }

    private void assertDownloaded(Path dir) throws IOException {
        for (String file : server.fileNames()) {
            assertArrayEquals(server.bytes(file), Files.readAllBytes(dir.resolve(file)), file);
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".part")));
        }
    }

    @Test
    void parsesIdsAndRejectsBadOnes() {
        HubModelId id = HubModelId.parse(URI.create("hf://Org-1/My.Model_2@v1.0"));
        assertEquals("Org-1/My.Model_2", id.getRepo());
        assertEquals("v1.0", id.getRevision());
        assertEquals("main", HubModelId.parse(URI.create("hf://a/b")).getRevision());
        assertEquals(
                URI.create("http://h/a/b/resolve/refs%2Fpr%2F1/config.json"),
                HubModelId.parse(URI.create("hf://a/b@refs/pr/1"))
                        .fileUri("http://h", "config.json"));
        for (String bad : new String[] {"hf://a", "hf://a/b/c", "hf://../b", "hf://a/b@"}) {
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> HubModelId.parse(URI.create(bad)),
                            bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
    }

    @Test
    void downloadsEveryFileIntoTheCacheWithProgress() throws IOException {
        System.setProperty("HF_TOKEN", "secret");
        HubRepository repository = repository("hf://org/tiny");
        Artifact artifact = artifact(repository);
        assertEquals(
                "dev.djlmetal.zoo.generate.MetalTranslatorFactory",
                artifact.getArguments().get("translatorFactory"));
        CountingProgress progress = new CountingProgress();
        repository.prepare(artifact, progress);

        Path dir = repository.getResourceDirectory(artifact);
        assertEquals(cacheDir.resolve("hf/org/tiny/main"), dir);
        assertDownloaded(dir);
        assertEquals(300_000 + 123_457, progress.bytesFromShards);
        // the token goes to the hub, not to the storage host it redirects to (same host here,
        // so it is sent on both): every request carried it
        assertTrue(server.requests.stream().allMatch(r -> r.contains("auth=Bearer secret")));

        int requests = server.requests.size();
        repository.prepare(artifact, progress);
        assertEquals(requests, server.requests.size(), "a complete cache makes no request");
    }

    @Test
    void resumesAnInterruptedDownload() throws IOException {
        String shard = "model-00001-of-00002.safetensors";
        server.truncateOnce.add(shard);
        HubRepository repository = repository("hf://org/tiny");
        Artifact artifact = artifact(repository);
        IOException e = assertThrows(IOException.class, () -> repository.prepare(artifact, null));
        assertTrue(e.getMessage().contains(shard), e.getMessage());
        Path dir = repository.getResourceDirectory(artifact);
        long partial = Files.size(dir.resolve(shard + ".part"));
        assertEquals(150_000, partial);
        assertFalse(Files.exists(dir.resolve(shard)));

        repository.prepare(artifact, null);
        assertDownloaded(dir);
        assertTrue(
                server.requests.contains("GET /cdn/" + shard + " bytes=150000-"),
                server.requests.toString());
    }

    @Test
    void checksumMismatchFailsAndLeavesNothing() throws IOException {
        String shard = "model-00002-of-00002.safetensors";
        server.wrongSha.put(shard, HubTestServer.sha256(new byte[] {1, 2, 3}));
        HubRepository repository = repository("hf://org/tiny");
        Artifact artifact = artifact(repository);
        IOException e = assertThrows(IOException.class, () -> repository.prepare(artifact, null));
        assertTrue(e.getMessage().contains("Checksum mismatch for " + shard), e.getMessage());
        assertTrue(e.getMessage().contains(HubTestServer.sha256(new byte[] {1, 2, 3})));
        Path dir = repository.getResourceDirectory(artifact);
        assertFalse(Files.exists(dir.resolve(shard)));
        assertFalse(Files.exists(dir.resolve(shard + ".part")));
        assertFalse(HubDownloader.isComplete(dir));
    }

    @Test
    void offlineModeUsesTheCacheOnly() throws IOException {
        HubRepository repository = repository("hf://org/tiny@main");
        Artifact artifact = artifact(repository);
        System.setProperty("ai.djl.offline", "true");
        FileNotFoundException e =
                assertThrows(FileNotFoundException.class, () -> repository.prepare(artifact, null));
        assertTrue(e.getMessage().contains("offline"), e.getMessage());
        assertTrue(e.getMessage().contains("hf://org/tiny@main"), e.getMessage());
        assertTrue(server.requests.isEmpty());

        System.setProperty("ai.djl.offline", "false");
        repository.prepare(artifact, null);
        int requests = server.requests.size();
        System.setProperty("ai.djl.offline", "true");
        repository.prepare(artifact, null);
        assertEquals(requests, server.requests.size());
        assertDownloaded(repository.getResourceDirectory(artifact));
    }

    @Test
    void missingWeightsNameTheFile() throws IOException {
        Files.delete(modelDir.resolve("model.safetensors.index.json"));
        server.close();
        Set<String> names = Set.of("config.json", "tokenizer.json");
        assertTrue(names.size() == 2);
        try (HubTestServer noWeights = new HubTestServer("org/tiny", "main", configOnly())) {
            System.setProperty("HF_ENDPOINT", noWeights.endpoint());
            HubRepository repository = repository("hf://org/tiny");
            FileNotFoundException e =
                    assertThrows(
                            FileNotFoundException.class,
                            () -> repository.prepare(artifact(repository), null));
            assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
            assertTrue(e.getMessage().contains("404"), e.getMessage());
        }
    }

    private Path configOnly() throws IOException {
        Path dir = Files.createDirectories(cacheDir.resolve("served"));
        Files.writeString(dir.resolve("config.json"), "{}");
        return dir;
    }

    /** Records how many bytes were reported for the shards. */
    private static final class CountingProgress implements Progress {

        long bytesFromShards;
        private boolean shard;

        @Override
        public void reset(String message, long max, String trailingMessage) {
            shard = message.endsWith(".safetensors");
        }

        @Override
        public void start(long initialProgress) {}

        @Override
        public void end() {}

        @Override
        public void increment(long increment) {
            if (shard) {
                bytesFromShards += increment;
            }
        }

        @Override
        public void update(long progress, String message) {}
    }
}
