package dev.djlmetal.backend.metal.emulator;

import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Builds an MSL source into a native library for the emulator: the source is translated by {@link
 * MslTranslator}; the translation, its generated binding tables and exports, the shim header {@code
 * metal_stdlib} and the lane runtime {@code djlm_runtime.hpp} are written to a cache directory
 * keyed by a hash of all inputs (sources, compiler, flags), compiled once, and loaded with JNA. A
 * library is built at most once per JVM and reused across JVMs through the directory ({@value
 * #CACHE_DIR_PROPERTY}, default a folder in {@code java.io.tmpdir}).
 */
public final class EmulatorBuild {

    /** The system property naming the directory that caches built emulator libraries. */
    public static final String CACHE_DIR_PROPERTY = "djlmetal.emulator.cacheDir";

    /** The file name compiler messages use for the kernel source. */
    static final String KERNELS = "kernels.metal";

    private static final String SHIM = "metal_stdlib";
    private static final String RUNTIME = "djlm_runtime.hpp";
    private static final String BINDINGS = "djlm_kernels.hpp";
    private static final String EXPORTS = "djlm_exports.hpp";
    private static final String MAIN = "emulator.cpp";
    private static final String MAIN_TEXT =
            "// Generated: the lane runtime, the kernels' binding tables, the translated MSL\n"
                    + "// source (which includes the shim) and the exports of plain kernels.\n"
                    + "#include \""
                    + RUNTIME
                    + "\"\n#include \""
                    + BINDINGS
                    + "\"\n#include \""
                    + KERNELS
                    + "\"\n#include \""
                    + EXPORTS
                    + "\"\n";

    private static final Map<String, NativeLibrary> LOADED = new ConcurrentHashMap<>();

    private EmulatorBuild() {}

    /**
     * Returns the native library built from an MSL source, building it when no cached build exists.
     *
     * @param compiler the C++ compiler
     * @param mslSource the kernel source
     * @return the loaded library
     */
    static NativeLibrary load(CxxCompiler compiler, String mslSource) {
        Map<String, String> files = files(mslSource);
        String key = hash(compiler, files);
        return LOADED.computeIfAbsent(
                key, k -> NativeLibrary.getInstance(build(compiler, files, k)));
    }

    /**
     * Builds (or finds in the cache) the emulator library of an MSL source without loading it. Each
     * kernel {@code name} is exported as {@code int djlm_name(const Binding* bindings, unsigned
     * count, const unsigned* dims, char* message, unsigned capacity)}; see {@code
     * djlm_runtime.hpp}.
     *
     * @param compiler the C++ compiler
     * @param mslSource the kernel source
     * @return the path of the shared library
     * @throws IllegalStateException with the translator's or compiler's message when the source
     *     does not build
     */
    public static Path build(CxxCompiler compiler, String mslSource) {
        Map<String, String> files = files(mslSource);
        return Paths.get(build(compiler, files, hash(compiler, files)));
    }

    private static Map<String, String> files(String mslSource) {
        MslTranslator.Translation translation = MslTranslator.translate(KERNELS, mslSource);
        Map<String, String> files = new LinkedHashMap<>();
        files.put(SHIM, resource(SHIM));
        files.put(RUNTIME, resource(RUNTIME));
        files.put(BINDINGS, translation.bindingsHeader());
        files.put(KERNELS, translation.source());
        files.put(EXPORTS, translation.exportsSource());
        files.put(MAIN, MAIN_TEXT);
        return files;
    }

    private static String build(CxxCompiler compiler, Map<String, String> files, String key) {
        String libraryName = System.mapLibraryName("djlm_kernels");
        Path root = cacheRoot();
        Path dir = root.resolve(key);
        Path library = dir.resolve(libraryName);
        if (Files.isRegularFile(library)) {
            return library.toAbsolutePath().toString();
        }
        Path staging = null;
        try {
            Files.createDirectories(root);
            staging = Files.createTempDirectory(root, key + "-");
            for (Map.Entry<String, String> file : files.entrySet()) {
                Files.writeString(staging.resolve(file.getKey()), file.getValue());
            }
            compiler.compileSharedLibrary(
                    staging.resolve(MAIN), staging, staging.resolve(libraryName));
            try {
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
                staging = null;
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // Another process published the same build first, or the file system cannot rename
                // directories atomically: use the staged copy only when none was published.
                if (!Files.isRegularFile(library)) {
                    library = staging.resolve(libraryName);
                    staging = null;
                }
            } catch (IOException e) {
                if (!Files.isRegularFile(library)) {
                    throw e;
                }
            }
            return library.toAbsolutePath().toString();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot build the Metal emulator library in " + root, e);
        } finally {
            if (staging != null) {
                deleteQuietly(staging);
            }
        }
    }

    private static Path cacheRoot() {
        String configured = System.getProperty(CACHE_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured.trim());
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        return Paths.get(System.getProperty("java.io.tmpdir"), "djlmetal-emulator-" + user);
    }

    private static String resource(String name) {
        try (InputStream in = EmulatorBuild.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(
                        "Missing emulator resource dev/djlmetal/backend/metal/emulator/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read emulator resource " + name, e);
        }
    }

    private static String hash(CxxCompiler compiler, Map<String, String> files) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, compiler.getExecutable().toAbsolutePath().toString());
            update(digest, String.join(" ", compiler.sharedLibraryFlags()));
            update(digest, System.getProperty("os.arch"));
            for (Map.Entry<String, String> file : files.entrySet()) {
                update(digest, file.getKey());
                update(digest, file.getValue());
            }
            StringBuilder hex = new StringBuilder();
            byte[] bytes = digest.digest();
            for (int i = 0; i < 12; i++) {
                hex.append(String.format("%02x", bytes[i]));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static void update(MessageDigest digest, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
        digest.update((byte) ':');
        digest.update(bytes);
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Leftover staging files only cost disk space in the cache directory.
        }
    }
}
