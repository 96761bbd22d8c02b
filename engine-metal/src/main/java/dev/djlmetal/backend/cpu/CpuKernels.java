package dev.djlmetal.backend.cpu;

import dev.djlmetal.backend.BackendSettings;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the kernel of the cpu backend: the Vector API kernel when the {@code
 * jdk.incubator.vector} module is in the boot layer (the JVM was started with {@code
 * --add-modules=jdk.incubator.vector}), not turned off, and able to run on this JVM; the scalar
 * kernel otherwise.
 *
 * <p>The Vector API kernel can be turned off with the system property {@value
 * #VECTOR_PROPERTY}{@code =false} or the backend property {@value #VECTOR_SETTING}{@code =false}.
 * Its vector width is the CPU's preferred one unless the system property {@value
 * #VECTOR_BITS_PROPERTY} asks for 128, 256 or 512 bits (read once per JVM). A width wider than the
 * CPU's vectors runs on the Vector API's portable Java fallback: correct, and much slower (a way to
 * test every width on one machine).
 *
 * <p>Before the vector kernel is used for the first time in a JVM, a small product at every code
 * width is run with it and compared with the scalar kernel. A linkage or capability problem of the
 * incubating API on this JVM (a method that a release removed, a species it cannot run) or a wrong
 * result makes the backend fall back to the scalar kernel with one log line, never an {@code Error}
 * in a worker thread.
 */
public final class CpuKernels {

    /** The system property that turns the Vector API kernel off when {@code false}. */
    public static final String VECTOR_PROPERTY = "djlmetal.cpu.vector";

    /**
     * The system property that fixes the vector width of the Vector API kernel: {@code 128}, {@code
     * 256}, {@code 512}, or {@code auto} (the default: the CPU's preferred width).
     */
    public static final String VECTOR_BITS_PROPERTY = "djlmetal.cpu.vectorBits";

    /** The backend setting ({@link BackendSettings#getProperty}) that turns it off when false. */
    public static final String VECTOR_SETTING = "cpu.vector";

    private static final String MODULE = "jdk.incubator.vector";
    private static final Logger logger = LoggerFactory.getLogger(CpuKernels.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private CpuKernels() {}

    /**
     * Returns whether the Vector API module is present in this JVM.
     *
     * @return true when {@code jdk.incubator.vector} is in the boot layer
     */
    public static boolean isVectorApiPresent() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /**
     * Returns the vector width asked for by {@value #VECTOR_BITS_PROPERTY}.
     *
     * @return 128, 256 or 512, or 0 for the CPU's preferred width
     * @throws IllegalArgumentException when the property holds another value
     */
    public static int requestedVectorBits() {
        String value = System.getProperty(VECTOR_BITS_PROPERTY, "auto").trim();
        if (value.isEmpty() || "auto".equals(value.toLowerCase(Locale.ROOT))) {
            return 0;
        }
        switch (value) {
            case "128":
            case "256":
            case "512":
                return Integer.parseInt(value);
            default:
                throw new IllegalArgumentException(
                        "The system property "
                                + VECTOR_BITS_PROPERTY
                                + " must be 128, 256, 512 or auto, got '"
                                + value
                                + "'");
        }
    }

    /**
     * Returns the kernel for the given settings, logging once per JVM when the Vector API is
     * missing or cannot run.
     *
     * @param settings the backend settings
     * @return the Vector API kernel, or the scalar kernel when it is absent, turned off or broken
     * @throws IllegalArgumentException when {@value #VECTOR_BITS_PROPERTY} is invalid
     */
    static CpuKernel select(BackendSettings settings) {
        boolean wanted =
                Boolean.parseBoolean(System.getProperty(VECTOR_PROPERTY, "true"))
                        && Boolean.parseBoolean(settings.getProperty(VECTOR_SETTING, "true"));
        if (!wanted) {
            return scalar();
        }
        if (!isVectorApiPresent()) {
            if (WARNED.compareAndSet(false, true)) {
                logger.info(
                        "{} is not enabled: the cpu backend uses its scalar kernel; start the JVM"
                                + " with --add-modules={} for SIMD speed",
                        MODULE,
                        MODULE);
            }
            return scalar();
        }
        requestedVectorBits();
        return CheckedVector.KERNEL;
    }

    /** The vector kernel of this JVM, checked once. */
    private static final class CheckedVector {
        static final CpuKernel KERNEL = checked(CpuKernels::vector).kernel();
    }

    /**
     * Creates a kernel with {@code factory} and checks it against the scalar kernel on a product at
     * every code width; any failure (a {@link LinkageError} such as {@link NoSuchMethodError}, an
     * exception, a wrong result) selects the scalar kernel instead, with one log line.
     *
     * @param factory creates the candidate kernel
     * @return the choice and, on a fallback, its reason
     */
    static Choice checked(Supplier<CpuKernel> factory) {
        try {
            CpuKernel kernel = factory.get();
            KernelSelfCheck.verify(kernel);
            return new Choice(kernel, null);
        } catch (LinkageError | RuntimeException | AssertionError e) {
            String reason =
                    "the Vector API kernel cannot run on this JVM (Java "
                            + Runtime.version()
                            + "): "
                            + e;
            logger.warn("{}; the cpu backend uses its scalar kernel", reason);
            return new Choice(scalar(), reason);
        }
    }

    /** A kernel choice: the kernel and, when it is a fallback, why. */
    static final class Choice {

        private final CpuKernel kernel;
        private final String fallbackReason;

        Choice(CpuKernel kernel, String fallbackReason) {
            this.kernel = kernel;
            this.fallbackReason = fallbackReason;
        }

        CpuKernel kernel() {
            return kernel;
        }

        /** Returns why the scalar kernel was chosen, or null when the candidate passed. */
        String fallbackReason() {
            return fallbackReason;
        }
    }

    /** Returns the scalar kernel. */
    static CpuKernel scalar() {
        return new ScalarKernel();
    }

    /**
     * Returns the Vector API kernel, loaded by name so that the scalar path never touches the
     * module. It is not checked: {@link #select} checks it once per JVM.
     *
     * @throws IllegalStateException when the module is absent
     */
    static CpuKernel vector() {
        if (!isVectorApiPresent()) {
            throw new IllegalStateException(
                    "The vector kernel needs --add-modules="
                            + MODULE
                            + " on the java command line");
        }
        try {
            return (CpuKernel)
                    Class.forName(CpuKernels.class.getPackageName() + ".VectorKernel")
                            .getDeclaredConstructor()
                            .newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot load the Vector API kernel", e);
        }
    }
}
