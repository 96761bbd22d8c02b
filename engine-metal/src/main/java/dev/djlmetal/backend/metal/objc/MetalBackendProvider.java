package dev.djlmetal.backend.metal.objc;

import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.QuantizedBackendProvider;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;
import java.util.Locale;

/**
 * Provides {@code backend=metal}: the kernels on the Apple GPU. Available on macOS on arm64 when
 * {@code MTLCreateSystemDefaultDevice} returns a device. The device (and its command queue) is
 * opened once per JVM and shared by every model.
 */
public final class MetalBackendProvider implements QuantizedBackendProvider {

    /** Creates the provider (cheap: the device is probed on first use). */
    public MetalBackendProvider() {}

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

    /** {@inheritDoc} */
    @Override
    public String unavailableReason() {
        if (!isAppleSilicon()) {
            return "the Metal backend needs macOS on Apple Silicon (arm64), this is "
                    + System.getProperty("os.name")
                    + " on "
                    + System.getProperty("os.arch")
                    + "; backend=metal-emulated runs the same kernels on the CPU";
        }
        return SharedDevice.failure();
    }

    /** {@inheritDoc} */
    @Override
    public QuantizedMatmul create(BackendSettings settings) {
        String reason = unavailableReason();
        if (!reason.isEmpty()) {
            throw new IllegalStateException("backend=metal is not available here: " + reason);
        }
        return new MetalQuantizedMatmul(BackendKind.METAL, SharedDevice.device(), settings);
    }

    /** The JVM-wide default device, opened on first use. */
    private static final class SharedDevice {

        private static ObjcMetalDevice device;
        private static String failure;

        private SharedDevice() {}

        private static synchronized void open() {
            if (device != null || failure != null) {
                return;
            }
            try {
                device = ObjcMetalDevice.createSystemDefault();
                failure = "";
            } catch (RuntimeException | LinkageError e) {
                failure = "cannot open the default Metal device: " + e;
            }
        }

        static synchronized String failure() {
            open();
            return failure;
        }

        static synchronized ObjcMetalDevice device() {
            open();
            return device;
        }
    }
}
