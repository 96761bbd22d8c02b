package dev.djlmetal.backend;

import ai.djl.Device;
import java.util.EnumMap;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds backend providers and chooses the backend a model runs on. */
public final class Backends {

    private static final Map<BackendKind, QuantizedBackendProvider> PROVIDERS = loadProviders();

    private Backends() {}

    private static Map<BackendKind, QuantizedBackendProvider> loadProviders() {
        Map<BackendKind, QuantizedBackendProvider> map = new EnumMap<>(BackendKind.class);
        for (QuantizedBackendProvider provider :
                ServiceLoader.load(
                        QuantizedBackendProvider.class, Backends.class.getClassLoader())) {
            map.putIfAbsent(provider.kind(), provider);
        }
        return map;
    }

    /**
     * Returns the provider of one backend kind.
     *
     * @param kind a concrete kind (not {@link BackendKind#AUTO})
     * @return the provider
     * @throws IllegalArgumentException when no provider of that kind is installed
     */
    public static QuantizedBackendProvider provider(BackendKind kind) {
        QuantizedBackendProvider provider = PROVIDERS.get(kind);
        if (provider == null) {
            throw new IllegalArgumentException("No provider is installed for backend=" + kind);
        }
        return provider;
    }

    /**
     * Returns whether a backend kind is installed and can run on this machine.
     *
     * @param kind a concrete kind
     * @return true when available
     */
    public static boolean isAvailable(BackendKind kind) {
        QuantizedBackendProvider provider = PROVIDERS.get(kind);
        return provider != null && provider.isAvailable();
    }

    /**
     * Resolves {@link BackendKind#AUTO} for arrays that live on {@code device}: Metal where
     * available, the fast CPU backend for CPU devices, the portable NDArray backend otherwise.
     * Concrete kinds are returned as they are.
     *
     * @param requested the requested kind
     * @param device the device the model's arrays live on
     * @return a concrete kind
     */
    public static BackendKind resolve(BackendKind requested, Device device) {
        if (requested != BackendKind.AUTO) {
            return requested;
        }
        boolean cpu = device == null || Device.Type.CPU.equals(device.getDeviceType());
        if (cpu && isAvailable(BackendKind.METAL)) {
            return BackendKind.METAL;
        }
        if (cpu && isAvailable(BackendKind.CPU)) {
            return BackendKind.CPU;
        }
        return BackendKind.NDARRAY;
    }

    /**
     * Creates the backend for a model.
     *
     * @param requested the requested kind ({@code auto} resolves as in {@link #resolve(BackendKind,
     *     Device)})
     * @param device the device the model's arrays live on
     * @param settings the backend settings
     * @return the backend
     * @throws IllegalStateException naming the backend and the reason when it cannot run here
     */
    public static QuantizedMatmul create(
            BackendKind requested, Device device, BackendSettings settings) {
        BackendKind kind = resolve(requested, device);
        QuantizedBackendProvider provider = provider(kind);
        if (!provider.isAvailable()) {
            throw new IllegalStateException(
                    "backend=" + kind + " is not available here: " + provider.unavailableReason());
        }
        return provider.create(settings);
    }
}
