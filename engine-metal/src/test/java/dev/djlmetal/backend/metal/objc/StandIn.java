package dev.djlmetal.backend.metal.objc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import dev.djlmetal.backend.metal.emulator.CxxCompiler;
import dev.djlmetal.backend.metal.emulator.EmulatorBuild;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The tests' stand-in for the Objective-C runtime, Foundation, CoreGraphics and Metal on Linux
 * x86_64 ({@code standin/objc_metal_standin.c}; read its header for what it models): built with the
 * system compiler on first use (cached like the emulator's builds), loaded once per JVM, with its
 * shader compiler wired to the project's CPU emulator ({@link EmulatorBuild}).
 *
 * <p>The genuine {@code metal.objc} classes run against it through {@link #libraries()}. Fatal
 * errors (Metal's assertions) are recorded instead of aborting the test JVM; {@code
 * StandInChecksTest} shows in a child process that by default they abort it, as on a Mac.
 */
final class StandIn {

    /** The compiled stand-in library (runtime, Foundation and Metal in one file). */
    static final String LIBRARY_NAME = "libdjlm-objc-standin.so";

    /** The CoreGraphics stand-in; its file name is what the Metal stand-in looks for. */
    static final String CORE_GRAPHICS_NAME = "CoreGraphics";

    /** {@code MTLMathModeSafe}, as the stand-in reports the math mode of a compilation. */
    static final int MATH_MODE_SAFE = 0;

    /** {@code MTLMathModeFast} (Metal's default). */
    static final int MATH_MODE_FAST = 2;

    private static final Charset UTF8 = StandardCharsets.UTF_8;
    private static final String RESOURCE_DIR = "standin/";
    private static final String SOURCE = "objc_metal_standin.c";
    private static final String CORE_GRAPHICS_SOURCE = "coregraphics_standin.c";

    private static StandIn instance;

    private final Path library;
    private final Path coreGraphics;
    private final Control control;
    private final Compiler compiler;

    private StandIn(Path library, Path coreGraphics, CxxCompiler cxx) {
        this.library = library;
        this.coreGraphics = coreGraphics;
        this.control = Native.load(library.toString(), Control.class);
        this.compiler = new Compiler(cxx);
        control.djlm_standin_set_compiler(compiler);
    }

    /**
     * Returns why the stand-in cannot run here, if it cannot.
     *
     * @return the reason, or empty on Linux x86_64 with a C compiler
     */
    static Optional<String> unsupportedReason() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux") || !("amd64".equals(arch) || "x86_64".equals(arch))) {
            return Optional.of(
                    "the Objective-C/Metal stand-in is written for Linux x86_64 (its objc_msgSend"
                            + " trampoline is x86_64 assembly), this is "
                            + os
                            + " "
                            + arch);
        }
        if (CxxCompiler.find().isEmpty()) {
            return Optional.of("no compiler for the stand-in: " + CxxCompiler.searchDescription());
        }
        return Optional.empty();
    }

    /** Skips the calling test where the stand-in cannot run. */
    static void assumeSupported() {
        Optional<String> reason = unsupportedReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "Skipping: " + reason.orElse(""));
    }

    /**
     * Returns the stand-in, building and loading it on first use, with fatal errors recorded.
     *
     * @return the stand-in
     */
    static synchronized StandIn get() {
        if (instance == null) {
            CxxCompiler cxx = CxxCompiler.find().orElseThrow();
            Path dir = build(cxx);
            instance = new StandIn(dir.resolve(LIBRARY_NAME), dir.resolve(CORE_GRAPHICS_NAME), cxx);
        }
        instance.recordFatalErrors(true);
        return instance;
    }

    /**
     * Returns the stand-in's files as the device layer's libraries.
     *
     * @return runtime, Foundation and Metal from the stand-in library, and the CoreGraphics
     *     stand-in
     */
    AppleLibraries libraries() {
        String path = library.toString();
        return AppleLibraries.of(path, path, coreGraphics.toString(), path);
    }

    Path library() {
        return library;
    }

    Path coreGraphics() {
        return coreGraphics;
    }

    /** Records fatal errors (true) or aborts the process on them as Metal does (false). */
    void recordFatalErrors(boolean record) {
        control.djlm_standin_set_record_fatal(record ? 1 : 0);
    }

    /** Makes every later compilation fail with this message (null: compile normally). */
    void failCompilesWith(String message) {
        compiler.failure = message;
    }

    /** Models a macOS major version: 15 and later know {@code MTLCompileOptions.mathMode}. */
    void emulateMacOs(int major) {
        control.djlm_standin_set_macos_major(major);
    }

    void clearDiagnostics() {
        control.djlm_standin_clear_diagnostics();
    }

    long fatalCount() {
        return control.djlm_standin_fatal_count();
    }

    String firstFatal() {
        return text(control::djlm_standin_first_fatal);
    }

    long warningCount() {
        return control.djlm_standin_warning_count();
    }

    String firstWarning() {
        return text(control::djlm_standin_first_warning);
    }

    long liveObjects(String className) {
        return control.djlm_standin_live_objects(className);
    }

    long poolDepth() {
        return control.djlm_standin_pool_depth();
    }

    int lastMathMode() {
        return control.djlm_standin_last_math_mode();
    }

    long compileCount() {
        return control.djlm_standin_compile_count();
    }

    long sends(String selector) {
        return control.djlm_standin_sends(selector);
    }

    long deviceRefusals() {
        return control.djlm_standin_device_refusals();
    }

    long retainCount(Pointer object) {
        return control.djlm_standin_retain_count(object);
    }

    /**
     * Asserts that nothing the stand-in checks went wrong since the last {@link
     * #clearDiagnostics()}: no fatal error (what would abort a Mac process), no warning (a message
     * outside an autorelease pool, a leaked autorelease, a pool popped out of order), and no pool
     * left open on this thread.
     */
    void assertClean() {
        assertEquals("", firstFatal(), "fatal errors: " + fatalCount());
        assertEquals("", firstWarning(), "warnings: " + warningCount());
        assertEquals(0, poolDepth(), "autorelease pools left open on this thread");
    }

    private interface TextReader {
        void read(Pointer buffer, NativeLong capacity);
    }

    private static String text(TextReader reader) {
        try (Memory buffer = new Memory(4096)) {
            buffer.setByte(0, (byte) 0);
            reader.read(buffer, new NativeLong(buffer.size()));
            return buffer.getString(0, "UTF-8");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Build

    private static Path build(CxxCompiler cxx) {
        String source = resource(SOURCE);
        String coreGraphicsSource = resource(CORE_GRAPHICS_SOURCE);
        String key = hash(cxx, source, coreGraphicsSource);
        Path root = cacheRoot();
        Path dir = root.resolve("standin-" + key);
        if (Files.isRegularFile(dir.resolve(LIBRARY_NAME))
                && Files.isRegularFile(dir.resolve(CORE_GRAPHICS_NAME))) {
            return dir;
        }
        try {
            Files.createDirectories(root);
            Path staging = Files.createTempDirectory(root, "standin-" + key + "-");
            Files.writeString(staging.resolve(SOURCE), source);
            Files.writeString(staging.resolve(CORE_GRAPHICS_SOURCE), coreGraphicsSource);
            cxx.compileCSharedLibrary(staging.resolve(SOURCE), staging.resolve(LIBRARY_NAME));
            cxx.compileCSharedLibrary(
                    staging.resolve(CORE_GRAPHICS_SOURCE), staging.resolve(CORE_GRAPHICS_NAME));
            try {
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                // Another JVM published the same build first: use it, or the staged copy.
                if (!Files.isRegularFile(dir.resolve(LIBRARY_NAME))) {
                    return staging;
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot build the stand-in in " + root, e);
        }
    }

    private static Path cacheRoot() {
        String configured = System.getProperty(EmulatorBuild.CACHE_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured.trim());
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        return Paths.get(System.getProperty("java.io.tmpdir"), "djlmetal-emulator-" + user);
    }

    private static String resource(String name) {
        try (InputStream in = StandIn.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("Missing test resource " + RESOURCE_DIR + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hash(CxxCompiler cxx, String... texts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(cxx.getExecutable().toAbsolutePath().toString().getBytes(UTF8));
            digest.update(String.join(" ", cxx.cSharedLibraryFlags()).getBytes(UTF8));
            for (String text : texts) {
                digest.update(Integer.toString(text.length()).getBytes(UTF8));
                digest.update(text.getBytes(UTF8));
            }
            StringBuilder hex = new StringBuilder();
            byte[] bytes = digest.digest();
            for (int i = 0; i < 12; i++) {
                hex.append(String.format("%02x", bytes[i]));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Native interfaces

    /** The stand-in's test controls (see the end of the C source). */
    interface Control extends Library {
        void djlm_standin_set_compiler(CompileCallback callback);

        void djlm_standin_set_record_fatal(int record);

        void djlm_standin_set_macos_major(int major);

        long djlm_standin_fatal_count();

        long djlm_standin_warning_count();

        void djlm_standin_first_fatal(Pointer buffer, NativeLong capacity);

        void djlm_standin_first_warning(Pointer buffer, NativeLong capacity);

        void djlm_standin_clear_diagnostics();

        long djlm_standin_live_objects(String className);

        long djlm_standin_pool_depth();

        int djlm_standin_last_math_mode();

        long djlm_standin_compile_count();

        long djlm_standin_sends(String selector);

        long djlm_standin_device_refusals();

        long djlm_standin_retain_count(Pointer object);
    }

    /** {@code int (*)(const char*, int, char*, unsigned long, char*, unsigned long)}. */
    interface CompileCallback extends Callback {
        int invoke(
                Pointer source,
                int mathMode,
                Pointer path,
                NativeLong pathCapacity,
                Pointer message,
                NativeLong messageCapacity);
    }

    /** The stand-in's shader compiler: the project's CPU emulator build. */
    private static final class Compiler implements CompileCallback {

        private final CxxCompiler cxx;
        private volatile String failure;

        Compiler(CxxCompiler cxx) {
            this.cxx = cxx;
        }

        @Override
        public int invoke(
                Pointer source,
                int mathMode,
                Pointer path,
                NativeLong pathCapacity,
                Pointer message,
                NativeLong messageCapacity) {
            String forced = failure;
            if (forced != null) {
                write(message, messageCapacity, forced);
                return 1;
            }
            try {
                Path built = EmulatorBuild.build(cxx, source.getString(0, "UTF-8"));
                String text = built.toAbsolutePath().toString();
                if (text.getBytes(UTF8).length + 1 > pathCapacity.longValue()) {
                    write(message, messageCapacity, "library path too long: " + text);
                    return 1;
                }
                write(path, pathCapacity, text);
                return 0;
            } catch (RuntimeException e) {
                write(message, messageCapacity, String.valueOf(e.getMessage()));
                return 1;
            }
        }

        private static void write(Pointer target, NativeLong capacity, String text) {
            byte[] bytes = text.getBytes(UTF8);
            int length = (int) Math.min(bytes.length, capacity.longValue() - 1);
            target.write(0, bytes, 0, length);
            target.setByte(length, (byte) 0);
        }
    }
}
