package dev.djlmetal.zoo;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A checkpoint directory packed as a classpath resource: {@code config.json}, safetensors weights
 * and tokenizer files under one resource folder, in a jar or a classes directory.
 *
 * <p>A class loader cannot list a folder inside a jar, so the checkpoint names its files: the
 * required ones must all be present, the optional ones are copied when present.
 */
public final class ClasspathCheckpoint {

    private static final int HASH_CHARS = 16;

    private final String resourceDirectory;
    private final String artifactId;
    private final List<String> requiredFiles;
    private final List<String> optionalFiles;
    private final ClassLoader classLoader;
    private volatile Path extracted;

    /**
     * Creates a classpath checkpoint.
     *
     * @param resourceDirectory the resource folder, for example {@code
     *     dev/djlmetal/zoo/models/story-llama/} (no leading slash)
     * @param artifactId the model's artifact id in the zoo
     * @param requiredFiles the files that must be present
     * @param optionalFiles the files copied when present
     * @param classLoader the class loader to read the resources with
     */
    public ClasspathCheckpoint(
            String resourceDirectory,
            String artifactId,
            List<String> requiredFiles,
            List<String> optionalFiles,
            ClassLoader classLoader) {
        String dir = Objects.requireNonNull(resourceDirectory, "resourceDirectory");
        if (dir.startsWith("/")) {
            dir = dir.substring(1);
        }
        this.resourceDirectory = dir.endsWith("/") ? dir : dir + '/';
        this.artifactId = Objects.requireNonNull(artifactId, "artifactId");
        this.requiredFiles = List.copyOf(requiredFiles);
        this.optionalFiles = List.copyOf(optionalFiles);
        this.classLoader = Objects.requireNonNull(classLoader, "classLoader");
    }

    /**
     * Returns the resource folder.
     *
     * @return the folder, ending with {@code /}
     */
    public String getResourceDirectory() {
        return resourceDirectory;
    }

    /**
     * Returns the artifact id.
     *
     * @return the artifact id
     */
    public String getArtifactId() {
        return artifactId;
    }

    /**
     * Returns the artifact version reported to DJL.
     *
     * @return {@code embedded}
     */
    public String getVersion() {
        return "embedded";
    }

    /**
     * Returns whether every required file is on the classpath.
     *
     * @return {@code true} when the checkpoint can be extracted
     */
    public boolean isPresent() {
        return missingFiles().isEmpty();
    }

    /**
     * Returns the SHA-256 digest of the checkpoint's files (names, sizes and bytes, in order), as
     * lowercase hex.
     *
     * @return the digest
     * @throws IOException when a required file is missing or cannot be read
     */
    public String contentHash() throws IOException {
        requirePresent();
        MessageDigest digest = sha256();
        byte[] buffer = new byte[1 << 16];
        for (String file : presentFiles()) {
            digest.update(file.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            try (InputStream in = open(file);
                    DigestInputStream din = new DigestInputStream(in, digest)) {
                while (din.read(buffer) >= 0) {
                    // the digest reads along
                }
            }
        }
        StringBuilder hex = new StringBuilder();
        for (byte b : digest.digest()) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }

    /**
     * Copies the checkpoint below a cache folder, unless a complete copy of this content is there,
     * and returns the copy's directory: {@code cacheRoot/<artifactId>/<hash>}.
     *
     * @param cacheRoot the cache folder
     * @return the checkpoint directory
     * @throws IOException when a required file is missing or the cache cannot be written
     */
    public Path extract(Path cacheRoot) throws IOException {
        Path done = extracted;
        if (done != null && done.startsWith(cacheRoot) && Files.isDirectory(done)) {
            return done;
        }
        String hash = contentHash().substring(0, HASH_CHARS);
        Path parent = cacheRoot.resolve(artifactId);
        Path target = parent.resolve(hash);
        if (!Files.isDirectory(target)) {
            Files.createDirectories(parent);
            Path tmp = Files.createTempDirectory(parent, hash + ".tmp");
            try {
                for (String file : presentFiles()) {
                    try (InputStream in = open(file)) {
                        Files.copy(in, tmp.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException
                    | DirectoryNotEmptyException
                    | AccessDeniedException e) {
                if (!Files.isDirectory(target)) {
                    throw e;
                }
                // another process finished the same copy first
            } finally {
                deleteTree(tmp);
            }
        }
        extracted = target;
        return target;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "classpath:" + resourceDirectory;
    }

    private List<String> missingFiles() {
        List<String> missing = new ArrayList<>();
        for (String file : requiredFiles) {
            if (classLoader.getResource(resourceDirectory + file) == null) {
                missing.add(file);
            }
        }
        return missing;
    }

    private void requirePresent() throws FileNotFoundException {
        List<String> missing = missingFiles();
        if (!missing.isEmpty()) {
            throw new FileNotFoundException(
                    "Model "
                            + artifactId
                            + ": classpath resource "
                            + resourceDirectory
                            + " lacks "
                            + missing
                            + " (required: "
                            + requiredFiles
                            + ")");
        }
    }

    private List<String> presentFiles() {
        List<String> files = new ArrayList<>(requiredFiles);
        for (String file : optionalFiles) {
            if (classLoader.getResource(resourceDirectory + file) != null) {
                files.add(file);
            }
        }
        return files;
    }

    private InputStream open(String file) throws IOException {
        InputStream in = classLoader.getResourceAsStream(resourceDirectory + file);
        if (in == null) {
            throw new FileNotFoundException("Classpath resource " + resourceDirectory + file);
        }
        return in;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder())
                    .forEach(
                            p -> {
                                try {
                                    Files.deleteIfExists(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
