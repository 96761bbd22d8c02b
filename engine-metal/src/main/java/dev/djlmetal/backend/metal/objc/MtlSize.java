package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Structure;

/**
 * Metal's {@code MTLSize}: three {@code NSUInteger}s (24 bytes on 64-bit Apple platforms). Passed
 * by value through {@link ByValue}, so libffi applies the platform's rule for large structs.
 */
@Structure.FieldOrder({"width", "height", "depth"})
public class MtlSize extends Structure {

    /** The x extent. */
    public long width;

    /** The y extent. */
    public long height;

    /** The z extent. */
    public long depth;

    /** Creates a zero size (for JNA). */
    public MtlSize() {}

    /**
     * Creates a size.
     *
     * @param width the x extent
     * @param height the y extent
     * @param depth the z extent
     */
    public MtlSize(long width, long height, long depth) {
        this.width = width;
        this.height = height;
        this.depth = depth;
    }

    /** {@code MTLSize} passed by value. */
    public static class ByValue extends MtlSize implements Structure.ByValue {

        /** Creates a zero size (for JNA). */
        public ByValue() {}

        /**
         * Creates a size.
         *
         * @param width the x extent
         * @param height the y extent
         * @param depth the z extent
         */
        public ByValue(long width, long height, long depth) {
            super(width, height, depth);
        }
    }
}
