package dev.djlmetal.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.repository.Artifact;
import ai.djl.repository.LocalRepository;
import ai.djl.repository.Repository;
import ai.djl.repository.SimpleRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointRepositoryFactoryTest {

    private static final String FACTORY = "dev.djlmetal.zoo.generate.MetalTranslatorFactory";

    @TempDir Path dir;

    private static Artifact artifact(Repository repository) throws IOException {
        return repository.getResources().get(0).match(null);
    }

    @Test
    void checkpointDirectoryGetsTheMetalTranslators() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.write(dir.resolve("model-00001-of-00001.safetensors"), new byte[8]);
        Repository repository = Repository.newInstance("m", dir);
        assertInstanceOf(SimpleRepository.class, repository);
        Artifact artifact = artifact(repository);
        assertEquals(FACTORY, artifact.getArguments().get("translatorFactory"));
        assertEquals(dir, repository.getResourceDirectory(artifact));
    }

    @Test
    void userArgumentsWin() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{}");
        Repository repository =
                Repository.newInstance("m", dir.toUri() + "?translatorFactory=my.Factory&x=1");
        Artifact artifact = artifact(repository);
        assertEquals("my.Factory", artifact.getArguments().get("translatorFactory"));
        assertEquals("1", artifact.getArguments().get("x"));
    }

    @Test
    void otherDirectoriesBehaveAsInDjl() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.write(dir.resolve("model.pt"), new byte[8]);
        Repository plain = Repository.newInstance("m", dir);
        assertInstanceOf(SimpleRepository.class, plain);
        assertNull(artifact(plain).getArguments().get("translatorFactory"));
        assertFalse(CheckpointLocations.isCheckpoint(dir));

        Path nested = Files.createDirectories(dir.resolve("zoo/model"));
        Files.writeString(
                nested.resolve("metadata.json"),
                "{\"metadataVersion\": \"0.2\", \"groupId\": \"g\", \"artifactId\": \"model\","
                        + " \"artifacts\": []}");
        assertInstanceOf(LocalRepository.class, Repository.newInstance("m", dir));
    }
}
