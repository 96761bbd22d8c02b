package dev.djlmetal.backend.metal;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A device decorator that records every dispatch before forwarding it. */
final class RecordingDevice implements MetalDevice {

    private final MetalDevice delegate;
    private final List<String> dispatched = new CopyOnWriteArrayList<>();

    RecordingDevice(MetalDevice delegate) {
        this.delegate = delegate;
    }

    List<String> dispatched() {
        return dispatched;
    }

    @Override
    public String getName() {
        return delegate.getName();
    }

    @Override
    public MetalLibrary compileLibrary(String source) {
        return delegate.compileLibrary(source);
    }

    @Override
    public MetalLibrary library(String source) {
        return delegate.library(source);
    }

    @Override
    public MetalBuffer newBuffer(long length) {
        return delegate.newBuffer(length);
    }

    @Override
    public void dispatch(
            MetalPipeline pipeline,
            List<MetalBuffer> buffers,
            ByteBuffer arguments,
            MetalSize threadgroups,
            MetalSize threadsPerThreadgroup) {
        dispatched.add(pipeline.getFunctionName() + " " + threadgroups);
        delegate.dispatch(pipeline, buffers, arguments, threadgroups, threadsPerThreadgroup);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
