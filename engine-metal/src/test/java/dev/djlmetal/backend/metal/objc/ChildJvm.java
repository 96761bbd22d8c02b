package dev.djlmetal.backend.metal.objc;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test classpath in a new JVM (same java, JVM flags and classpath), for
 * what must not happen in the test JVM: a process abort, or state that lives once per JVM.
 */
final class ChildJvm {

    private static final long TIMEOUT_SECONDS = 300;

    private ChildJvm() {}

    /** What a child process did. */
    static final class Result {

        final int exitCode;
        final String stdout;
        final String stderr;

        Result(int exitCode, String stdout, String stderr) {
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /**
     * Runs {@code main} with arguments and system properties and waits for it to end.
     *
     * @param main the class with a {@code main} method
     * @param properties system properties for the child
     * @param args the arguments
     * @return the exit code and output
     */
    static Result run(Class<?> main, Map<String, String> properties, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!flag.startsWith("-agentlib:jdwp") && !flag.startsWith("-Xmx")) {
                command.add(flag);
            }
        }
        command.add("-Xmx512m");
        for (Map.Entry<String, String> property : properties.entrySet()) {
            command.add("-D" + property.getKey() + "=" + property.getValue());
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        Path out = Files.createTempFile("djlm-child-", ".out");
        Path err = Files.createTempFile("djlm-child-", ".err");
        try {
            Process process =
                    new ProcessBuilder(command)
                            .redirectOutput(out.toFile())
                            .redirectError(err.toFile())
                            .start();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException(
                        "The child JVM did not end within " + TIMEOUT_SECONDS + " s: " + command);
            }
            return new Result(
                    process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
