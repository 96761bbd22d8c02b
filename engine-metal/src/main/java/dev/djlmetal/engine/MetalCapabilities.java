package dev.djlmetal.engine;

import ai.djl.Device;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What this machine offers the Metal engine; immutable, for decisions and for logs. */
public final class MetalCapabilities {

    private final String osName;
    private final String osArch;
    private final boolean nativeMetalAvailable;
    private final String nativeMetalStatus;
    private final List<BackendKind> availableBackends;
    private final BackendKind autoBackendOnCpu;

    private MetalCapabilities(
            String osName,
            String osArch,
            String nativeMetalStatus,
            List<BackendKind> availableBackends,
            BackendKind autoBackendOnCpu) {
        this.osName = osName;
        this.osArch = osArch;
        this.nativeMetalStatus = nativeMetalStatus;
        this.nativeMetalAvailable = nativeMetalStatus.isEmpty();
        this.availableBackends = List.copyOf(availableBackends);
        this.autoBackendOnCpu = autoBackendOnCpu;
    }

    /**
     * Probes this machine and the installed backend providers.
     *
     * @return the capabilities
     */
    public static MetalCapabilities detect() {
        String osName = System.getProperty("os.name", "");
        String osArch = System.getProperty("os.arch", "");
        List<BackendKind> available = new ArrayList<>();
        for (BackendKind kind : BackendKind.values()) {
            if (kind != BackendKind.AUTO && Backends.isAvailable(kind)) {
                available.add(kind);
            }
        }
        return new MetalCapabilities(
                osName,
                osArch,
                nativeMetalStatus(osName, osArch),
                available,
                Backends.resolve(BackendKind.AUTO, Device.cpu()));
    }

    static boolean isAppleSilicon(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        boolean mac = os.startsWith("mac") || os.startsWith("darwin");
        return mac && ("aarch64".equals(osArch) || "arm64".equals(osArch));
    }

    private static String nativeMetalStatus(String osName, String osArch) {
        if (!isAppleSilicon(osName, osArch)) {
            return "native Metal needs macOS on Apple Silicon (aarch64); this is "
                    + osName
                    + '/'
                    + osArch;
        }
        if (Backends.isAvailable(BackendKind.METAL)) {
            return "";
        }
        try {
            String reason = Backends.provider(BackendKind.METAL).unavailableReason();
            return reason.isEmpty() ? "the Metal backend reports itself unavailable" : reason;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * Returns whether the native Metal backend can run: macOS on Apple Silicon with the Metal
     * backend installed and a Metal device present.
     *
     * @return true when native Metal is available
     */
    public boolean isNativeMetalAvailable() {
        return nativeMetalAvailable;
    }

    /**
     * Explains why native Metal is not available.
     *
     * @return the reason, or an empty string when it is available
     */
    public String getNativeMetalStatus() {
        return nativeMetalStatus;
    }

    /**
     * Returns the backends installed and able to run here, in {@link BackendKind} order.
     *
     * @return an unmodifiable list of concrete kinds
     */
    public List<BackendKind> getAvailableBackends() {
        return availableBackends;
    }

    /**
     * Returns the backend {@link BackendKind#AUTO} resolves to for a model on the CPU.
     *
     * @return a concrete kind
     */
    public BackendKind getAutoBackendOnCpu() {
        return autoBackendOnCpu;
    }

    /**
     * Returns the operating system name ({@code os.name}).
     *
     * @return the OS name
     */
    public String getOsName() {
        return osName;
    }

    /**
     * Returns the processor architecture ({@code os.arch}).
     *
     * @return the architecture
     */
    public String getOsArch() {
        return osArch;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MetalCapabilities{os="
                + osName
                + '/'
                + osArch
                + ", nativeMetal="
                + (nativeMetalAvailable ? "yes" : "no (" + nativeMetalStatus + ')')
                + ", backends="
                + availableBackends
                + ", auto(cpu)="
                + autoBackendOnCpu
                + '}';
    }
}
