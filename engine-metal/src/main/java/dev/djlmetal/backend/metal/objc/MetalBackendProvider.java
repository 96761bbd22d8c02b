package dev.djlmetal.backend.metal.objc;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.QuantizedBackendProvider;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.metal.AffineQmmKernels;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provides {@code backend=metal}: the kernels on the Apple GPU. Available on macOS on arm64 when
 * {@code MTLCreateSystemDefaultDevice} returns a device <em>and</em> Apple's shader compiler
 * accepts the kernels: compiling them is part of the availability check, so when the compiler
 * rejects them {@code backend=auto} runs on the other backends (cpu on CPU devices) and one warning
 * quoting the compiler's message is logged, while {@code backend=metal} fails with that message.
 *
 * <p>The device, its command queue and the compiled kernels are opened once per provider (one per
 * JVM through the service loader) and shared by every model; the kernels are compiled once.
 *
 * <p>The system properties {@value #RUNTIME_PATH_PROPERTY}, {@value #FOUNDATION_PATH_PROPERTY},
 * {@value #CORE_GRAPHICS_PATH_PROPERTY} and {@value #METAL_PATH_PROPERTY} replace the paths of the
 * Apple libraries. Nobody needs them on a Mac; when any is set the platform check is skipped and
 * the device layer runs wherever those libraries load (the project's tests run it on Linux against
 * a stand-in for the Objective-C runtime and Metal).
 */
public final class MetalBackendProvider implements QuantizedBackendProvider {

    /** The system property replacing the path of {@code libobjc.A.dylib}. */
    public static final String RUNTIME_PATH_PROPERTY = AppleLibraries.RUNTIME_PROPERTY;

    /** The system property replacing the path of Foundation. */
    public static final String FOUNDATION_PATH_PROPERTY = AppleLibraries.FOUNDATION_PROPERTY;

    /** The system property replacing the path of CoreGraphics. */
    public static final String CORE_GRAPHICS_PATH_PROPERTY = AppleLibraries.CORE_GRAPHICS_PROPERTY;

    /** The system property replacing the path of Metal. */
    public static final String METAL_PATH_PROPERTY = AppleLibraries.METAL_PROPERTY;

    private static final Logger logger = LoggerFactory.getLogger(MetalBackendProvider.class);

    private final AppleLibraries libraries;
    private ObjcMetalDevice device;
    private String failure;

    /** Creates the provider (cheap: the device is probed on first use). */
    public MetalBackendProvider() {
        this(AppleLibraries.fromSystemProperties());
    }

    MetalBackendProvider(AppleLibraries libraries) {
        this.libraries = libraries;
    }

    /**
     * Returns whether this JVM runs on macOS on Apple Silicon.
     *
     * @return true on macOS arm64
     */
    public static boolean isAppleSilicon() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.startsWith("mac") && ("aarch64".equals(arch) || "arm64".equals(arch));
    }

    /** {@inheritDoc} */
    @Override
    public BackendKind kind() {
        return BackendKind.METAL;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isAvailable() {
        return unavailableReason().isEmpty();
    }

    /**
     * {@inheritDoc}
     *
     * <p>On Apple Silicon the first call opens the device and compiles the kernels.
     */
    @Override
    public String unavailableReason() {
        if (!libraries.isConfigured() && !isAppleSilicon()) {
            return "the Metal backend needs macOS on Apple Silicon (arm64), this is "
                    + System.getProperty("os.name")
                    + " on "
                    + System.getProperty("os.arch")
                    + "; backend=metal-emulated runs the same kernels on the CPU";
        }
        return probe();
    }

    /** {@inheritDoc} */
    @Override
    public QuantizedMatmul create(BackendSettings settings) {
        String reason = unavailableReason();
        if (!reason.isEmpty()) {
            throw new IllegalStateException("backend=metal is not available here: " + reason);
        }
        return new MetalQuantizedMatmul(BackendKind.METAL, openDevice(), settings);
    }

    private synchronized ObjcMetalDevice openDevice() {
        return device;
    }

    /**
     * Opens the device and compiles the kernels once; returns "" when both worked, else the reason
     * (logged once).
     */
    private synchronized String probe() {
        if (failure != null) {
            return failure;
        }
        ObjcMetalDevice opened = null;
        try {
            opened = ObjcMetalDevice.open(libraries);
            opened.library(AffineQmmKernels.source());
            device = opened;
            failure = "";
        } catch (RuntimeException | LinkageError e) {
            if (opened != null) {
                opened.close();
            }
            failure =
                    (opened == null ? "cannot open the default Metal device: " : "")
                            + (e.getMessage() == null ? e.toString() : e.getMessage());
            logger.warn(
                    "Metal is unavailable, so backend=auto uses the cpu backend on CPU devices and"
                            + " backend=metal fails: {}",
                    failure.replaceAll("\\s*\\R\\s*", " | "));
        }
        return failure;
    }
}
