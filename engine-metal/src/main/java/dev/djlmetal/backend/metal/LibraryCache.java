package dev.djlmetal.backend.metal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The libraries one device has compiled, one per source text: each source is compiled once, on
 * first request (concurrent requests wait for that compilation), and every library is closed with
 * the device. Devices implement {@link MetalDevice#library(String)} with it.
 */
public final class LibraryCache implements AutoCloseable {

    private final Map<String, MetalLibrary> libraries = new HashMap<>();
    private boolean closed;

    /** Creates an empty cache. */
    public LibraryCache() {}

    /**
     * Returns the library of a source, compiling it on the first request.
     *
     * @param source the MSL text
     * @param compiler compiles a source into a library (the device's {@code compileLibrary})
     * @return the cached library
     * @throws IllegalStateException when the cache (its device) was closed
     * @throws MetalException when the source does not compile; nothing is cached then
     */
    public synchronized MetalLibrary get(String source, Function<String, MetalLibrary> compiler) {
        if (closed) {
            throw new IllegalStateException("The Metal device was closed");
        }
        MetalLibrary library = libraries.get(source);
        if (library == null) {
            library = compiler.apply(source);
            libraries.put(source, library);
        }
        return library;
    }

    /** Closes every cached library (and with it their pipelines); further requests fail. */
    @Override
    public void close() {
        List<MetalLibrary> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayList<>(libraries.values());
            libraries.clear();
        }
        RuntimeException failure = null;
        for (MetalLibrary library : toClose) {
            try {
                library.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
