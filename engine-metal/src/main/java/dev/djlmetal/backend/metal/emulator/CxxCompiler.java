package dev.djlmetal.backend.metal.emulator;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The host C++ compiler the emulator builds kernels with: the {@value #COMPILER_PROPERTY} system
 * property when set, otherwise the first of {@code g++}, {@code c++}, {@code clang++} on the {@code
 * PATH}. It must support C++20 and {@code _Float16} (g++ 12 or clang 15 and later).
 */
public final class CxxCompiler {

    /**
     * The system property naming the compiler (an executable path or a name looked up on the PATH).
     */
    public static final String COMPILER_PROPERTY = "djlmetal.cxx";

    private static final String[] CANDIDATES = {"g++", "c++", "clang++"};
    private static final long TIMEOUT_MINUTES = 10;

    private final Path executable;

    private CxxCompiler(Path executable) {
        this.executable = executable;
    }

    /**
     * Finds the compiler.
     *
     * @return the compiler, or empty when none is found
     */
    public static Optional<CxxCompiler> find() {
        String configured = System.getProperty(COMPILER_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return resolve(configured.trim()).map(CxxCompiler::new);
        }
        for (String candidate : CANDIDATES) {
            Optional<Path> path = resolve(candidate);
            if (path.isPresent()) {
                return path.map(CxxCompiler::new);
            }
        }
        return Optional.empty();
    }

    /**
     * Explains how the compiler is looked up, for error messages.
     *
     * @return a description of the search
     */
    public static String searchDescription() {
        String configured = System.getProperty(COMPILER_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return "-D" + COMPILER_PROPERTY + "=" + configured + " is not an executable";
        }
        return "no C++ compiler (g++, c++ or clang++) on the PATH; set -D"
                + COMPILER_PROPERTY
                + "=/path/to/compiler";
    }

    private static Optional<Path> resolve(String name) {
        if (name.contains(File.separator)) {
            Path path = Paths.get(name);
            return Files.isRegularFile(path) && Files.isExecutable(path)
                    ? Optional.of(path)
                    : Optional.empty();
        }
        String pathVariable = System.getenv("PATH");
        if (pathVariable == null) {
            return Optional.empty();
        }
        for (String dir : pathVariable.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path path = Paths.get(dir, name);
            if (Files.isRegularFile(path) && Files.isExecutable(path)) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }

    /**
     * Returns the compiler executable.
     *
     * @return the path
     */
    public Path getExecutable() {
        return executable;
    }

    /**
     * Returns the compiler's file name, for device names.
     *
     * @return for example {@code g++}
     */
    public String getName() {
        return executable.getFileName().toString();
    }

    /**
     * Returns the flags used to build a shared library from the emulator's translation unit.
     *
     * @return the flags, without the input and output files
     */
    public List<String> sharedLibraryFlags() {
        return List.of(
                "-std=c++20",
                "-O1",
                "-DDJLM_EMULATOR",
                "-Wno-attributes",
                "-fPIC",
                "-shared",
                "-pthread");
    }

    /**
     * Compiles one translation unit into a shared library.
     *
     * @param source the C++ file
     * @param includeDir the directory searched for {@code #include "..."} and {@code
     *     <metal_stdlib>}
     * @param output the library to write
     * @throws IllegalStateException with the compiler's output when compilation fails
     */
    public void compileSharedLibrary(Path source, Path includeDir, Path output) {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(sharedLibraryFlags());
        command.add("-I" + includeDir);
        command.add("-o");
        command.add(output.toString());
        command.add(source.toString());
        run(command, "The Metal emulator build");
    }

    /**
     * Returns the flags used to build a shared library from a C11 file with this compiler driver
     * (g++ and clang++ compile C with {@code -x c}).
     *
     * @return the flags, without the input and output files
     */
    public List<String> cSharedLibraryFlags() {
        return List.of(
                "-x",
                "c",
                "-std=c11",
                "-O1",
                "-fPIC",
                "-shared",
                "-pthread",
                "-fvisibility=hidden",
                "-Wall",
                "-Wextra");
    }

    /**
     * Compiles one C11 file into a shared library (the tests' stand-in for the Objective-C runtime
     * and Metal is built this way).
     *
     * @param source the C file
     * @param output the library to write
     * @throws IllegalStateException with the compiler's output when compilation fails
     */
    public void compileCSharedLibrary(Path source, Path output) {
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(cSharedLibraryFlags());
        command.add("-o");
        command.add(output.toString());
        command.add(source.toString());
        command.add("-x");
        command.add("none");
        command.add("-ldl");
        run(command, "Building " + source.getFileName());
    }

    private static void run(List<String> command, String what) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String log;
            try (InputStream in = process.getInputStream()) {
                log = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(what + " timed out: " + String.join(" ", command));
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(
                        what
                                + " failed (exit "
                                + process.exitValue()
                                + "): "
                                + String.join(" ", command)
                                + "\n"
                                + log);
            }
        } catch (IOException e) {
            throw new IllegalStateException(
                    "Cannot run the C++ compiler " + command.get(0) + ": " + what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted: " + what, e);
        }
    }
}
