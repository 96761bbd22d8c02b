package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@code MTLLibrary}; owns its retain and those of the pipelines made from it (one per function,
 * created on first request), all released by {@link #close()}.
 */
final class ObjcMetalLibrary implements MetalLibrary {

    private final Objc objc;
    private final Pointer device;
    private final Pointer library;
    private final Map<String, ObjcMetalPipeline> pipelines = new HashMap<>();
    private boolean closed;

    ObjcMetalLibrary(Objc objc, Pointer device, Pointer library) {
        this.objc = objc;
        this.device = device;
        this.library = library;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized MetalPipeline pipeline(String functionName) {
        if (closed) {
            throw new IllegalStateException(
                    "The Metal library was released; cannot create " + functionName);
        }
        ObjcMetalPipeline pipeline = pipelines.get(functionName);
        if (pipeline == null) {
            pipeline = objc.withPool(() -> buildPipeline(functionName));
            pipelines.put(functionName, pipeline);
        }
        return pipeline;
    }

    private ObjcMetalPipeline buildPipeline(String functionName) {
        ObjcRuntime rt = objc.rt();
        Pointer function =
                rt.msgSendPointer(
                        library, objc.sel("newFunctionWithName:"), objc.nsString(functionName));
        if (function == null) {
            throw new MetalException("The Metal library has no kernel named " + functionName);
        }
        try {
            PointerByReference error = new PointerByReference();
            Pointer state =
                    rt.msgSendPointer(
                            device,
                            objc.sel("newComputePipelineStateWithFunction:error:"),
                            function,
                            error);
            if (state == null) {
                throw new MetalException(
                        "Cannot build the pipeline of "
                                + functionName
                                + ": "
                                + objc.describeError(error.getValue(), "no error object"));
            }
            return new ObjcMetalPipeline(objc, functionName, state);
        } finally {
            objc.release(function);
        }
    }

    /** Releases the pipelines, then the library; their handles refuse further use. */
    @Override
    public void close() {
        List<Pointer> handles = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (ObjcMetalPipeline pipeline : pipelines.values()) {
                handles.add(pipeline.retire());
            }
            pipelines.clear();
        }
        objc.inPool(
                () -> {
                    for (Pointer handle : handles) {
                        objc.release(handle);
                    }
                    objc.release(library);
                });
    }
}
