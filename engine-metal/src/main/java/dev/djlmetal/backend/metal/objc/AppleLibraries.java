package dev.djlmetal.backend.metal.objc;

import com.sun.jna.NativeLibrary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Apple libraries the device layer calls: the Objective-C runtime, Foundation (NSString,
 * NSError), CoreGraphics and Metal. On a Mac these are the system paths; each can be replaced by a
 * system property (or, in tests, an instance made by {@link #of}), which is how CI runs this layer
 * against a stand-in on Linux.
 *
 * <p>{@link #load()} opens them in this order: runtime, Foundation, CoreGraphics, Metal. Apple
 * documents that {@code MTLCreateSystemDefaultDevice} may return no device in a process that has
 * not loaded CoreGraphics (command-line tools, and a JVM is one), so CoreGraphics is loaded before
 * the first device is asked for. Loaded libraries stay referenced for the life of the JVM.
 */
final class AppleLibraries {

    /** The system property replacing the Objective-C runtime's path. */
    static final String RUNTIME_PROPERTY = "djlmetal.objc.runtime";

    /** The system property replacing Foundation's path. */
    static final String FOUNDATION_PROPERTY = "djlmetal.objc.foundation";

    /** The system property replacing CoreGraphics' path. */
    static final String CORE_GRAPHICS_PROPERTY = "djlmetal.objc.coreGraphics";

    /** The system property replacing Metal's path. */
    static final String METAL_PROPERTY = "djlmetal.objc.metal";

    /** The Objective-C runtime on macOS (served from the dyld shared cache). */
    static final String DEFAULT_RUNTIME = "/usr/lib/libobjc.A.dylib";

    /** Foundation on macOS. */
    static final String DEFAULT_FOUNDATION =
            "/System/Library/Frameworks/Foundation.framework/Foundation";

    /** CoreGraphics on macOS. */
    static final String DEFAULT_CORE_GRAPHICS =
            "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics";

    /** Metal on macOS. */
    static final String DEFAULT_METAL = "/System/Library/Frameworks/Metal.framework/Metal";

    private static final Map<List<String>, Loaded> LOADED = new ConcurrentHashMap<>();

    private final String runtime;
    private final String foundation;
    private final String coreGraphics;
    private final String metal;
    private final boolean configured;

    private AppleLibraries(
            String runtime,
            String foundation,
            String coreGraphics,
            String metal,
            boolean configured) {
        this.runtime = runtime;
        this.foundation = foundation;
        this.coreGraphics = coreGraphics;
        this.metal = metal;
        this.configured = configured;
    }

    /**
     * Returns the libraries named by the system properties, or the macOS paths for those not set.
     *
     * @return the libraries
     */
    static AppleLibraries fromSystemProperties() {
        String[] properties = {
            RUNTIME_PROPERTY, FOUNDATION_PROPERTY, CORE_GRAPHICS_PROPERTY, METAL_PROPERTY
        };
        boolean configured = false;
        for (String property : properties) {
            String value = System.getProperty(property);
            configured |= value != null && !value.isBlank();
        }
        return new AppleLibraries(
                property(RUNTIME_PROPERTY, DEFAULT_RUNTIME),
                property(FOUNDATION_PROPERTY, DEFAULT_FOUNDATION),
                property(CORE_GRAPHICS_PROPERTY, DEFAULT_CORE_GRAPHICS),
                property(METAL_PROPERTY, DEFAULT_METAL),
                configured);
    }

    /**
     * Returns explicitly chosen libraries (a stand-in, for example).
     *
     * @param runtime the Objective-C runtime
     * @param foundation Foundation
     * @param coreGraphics CoreGraphics
     * @param metal Metal
     * @return the libraries
     */
    static AppleLibraries of(String runtime, String foundation, String coreGraphics, String metal) {
        return new AppleLibraries(runtime, foundation, coreGraphics, metal, true);
    }

    private static String property(String name, String fallback) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    /**
     * Returns whether any path was chosen explicitly (then the device layer runs wherever those
     * libraries load, not only on macOS arm64).
     *
     * @return true when configured
     */
    boolean isConfigured() {
        return configured;
    }

    /**
     * Describes the paths, for messages.
     *
     * @return the four paths
     */
    String describe() {
        return "Objective-C runtime "
                + runtime
                + ", Foundation "
                + foundation
                + ", CoreGraphics "
                + coreGraphics
                + ", Metal "
                + metal;
    }

    /**
     * Loads the libraries (once per JVM per set of paths), CoreGraphics before Metal.
     *
     * @return the loaded libraries
     * @throws UnsatisfiedLinkError when one cannot be loaded
     */
    Loaded load() {
        return LOADED.computeIfAbsent(
                List.of(runtime, foundation, coreGraphics, metal),
                paths -> {
                    ObjcRuntime objc = ObjcRuntime.load(runtime);
                    NativeLibrary foundationLibrary = NativeLibrary.getInstance(foundation);
                    NativeLibrary coreGraphicsLibrary = NativeLibrary.getInstance(coreGraphics);
                    MetalFramework framework = MetalFramework.load(metal);
                    return new Loaded(
                            new Objc(objc), framework, foundationLibrary, coreGraphicsLibrary);
                });
    }

    /** The loaded libraries. */
    static final class Loaded {

        private final Objc objc;
        private final MetalFramework metal;

        /** Held so that JNA never unloads Foundation or CoreGraphics. */
        @SuppressWarnings("unused")
        private final List<NativeLibrary> keepLoaded;

        Loaded(Objc objc, MetalFramework metal, NativeLibrary... keepLoaded) {
            this.objc = objc;
            this.metal = metal;
            this.keepLoaded = List.of(keepLoaded);
        }

        Objc objc() {
            return objc;
        }

        MetalFramework metal() {
            return metal;
        }
    }
}
