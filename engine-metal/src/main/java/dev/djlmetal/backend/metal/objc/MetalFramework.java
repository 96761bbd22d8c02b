package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The C entry point of {@code Metal.framework}; loading it also loads Foundation (NSString,
 * NSError).
 */
interface MetalFramework extends Library {

    /** The framework's path on macOS. */
    String METAL_PATH = "/System/Library/Frameworks/Metal.framework/Metal";

    /** Foundation's path on macOS. */
    String FOUNDATION_PATH = "/System/Library/Frameworks/Foundation.framework/Foundation";

    /** The framework, loaded on first use (macOS only). */
    MetalFramework INSTANCE = load();

    private static MetalFramework load() {
        NativeLibrary.getInstance(FOUNDATION_PATH);
        return Native.load(METAL_PATH, MetalFramework.class);
    }

    /**
     * {@code id<MTLDevice> MTLCreateSystemDefaultDevice(void)}: returns a retained device, or null.
     *
     * @return the default device
     */
    Pointer MTLCreateSystemDefaultDevice();
}
