package dev.djlmetal.backend.cpu;

import dev.djlmetal.backend.BackendSettings;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the kernel of the cpu backend: the Vector API kernel when the {@code
 * jdk.incubator.vector} module is in the boot layer (the JVM was started with {@code
 * --add-modules=jdk.incubator.vector}) and not turned off, the scalar kernel otherwise.
 *
 * <p>The Vector API kernel can be turned off with the system property {@value
 * #VECTOR_PROPERTY}{@code =false} or the backend property {@value #VECTOR_SETTING}{@code =false}.
 */
public final class CpuKernels {

    /** The system property that turns the Vector API kernel off when {@code false}. */
    public static final String VECTOR_PROPERTY = "djlmetal.cpu.vector";

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
     * Returns the kernel for the given settings, logging once per JVM when the Vector API is
     * missing.
     *
     * @param settings the backend settings
     * @return the Vector API kernel, or the scalar kernel when it is absent or turned off
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
        return vector();
    }

    /** Returns the scalar kernel. */
    static CpuKernel scalar() {
        return new ScalarKernel();
    }

    /**
     * Returns the Vector API kernel, loaded by name so that the scalar path never touches the
     * module.
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
