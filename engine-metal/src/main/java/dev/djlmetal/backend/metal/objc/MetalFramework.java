package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/** The C entry point of {@code Metal.framework}. */
interface MetalFramework extends Library {

    /**
     * Loads the framework (see {@link AppleLibraries} for the order the libraries load in).
     *
     * @param path the framework binary
     * @return the bound framework
     */
    static MetalFramework load(String path) {
        return Native.load(path, MetalFramework.class);
    }

    /**
     * {@code id<MTLDevice> MTLCreateSystemDefaultDevice(void)}: returns a retained device, or null.
     *
     * @return the default device
     */
    Pointer MTLCreateSystemDefaultDevice();
}
