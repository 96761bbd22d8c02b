package dev.djlmetal.backend.metal;

/**
 * A three-dimensional size (Metal's {@code MTLSize}): a grid of threadgroups or a threadgroup of
 * threads.
 */
public final class MetalSize {

    private final int width;
    private final int height;
    private final int depth;

    /**
     * Creates a size.
     *
     * @param width the x extent, at least 1
     * @param height the y extent, at least 1
     * @param depth the z extent, at least 1
     * @throws IllegalArgumentException when an extent is below 1
     */
    public MetalSize(int width, int height, int depth) {
        if (width < 1 || height < 1 || depth < 1) {
            throw new IllegalArgumentException(
                    "MetalSize extents must be >= 1, got " + width + "x" + height + "x" + depth);
        }
        this.width = width;
        this.height = height;
        this.depth = depth;
    }

    /**
     * Returns the x extent.
     *
     * @return the width
     */
    public int getWidth() {
        return width;
    }

    /**
     * Returns the y extent.
     *
     * @return the height
     */
    public int getHeight() {
        return height;
    }

    /**
     * Returns the z extent.
     *
     * @return the depth
     */
    public int getDepth() {
        return depth;
    }

    /**
     * Returns the number of elements.
     *
     * @return {@code width * height * depth}
     */
    public long count() {
        return (long) width * height * depth;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MetalSize)) {
            return false;
        }
        MetalSize other = (MetalSize) o;
        return width == other.width && height == other.height && depth == other.depth;
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return (width * 31 + height) * 31 + depth;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return width + "x" + height + "x" + depth;
    }
}
