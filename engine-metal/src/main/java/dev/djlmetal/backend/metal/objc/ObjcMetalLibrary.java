package dev.djlmetal.backend.metal.objc;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.djlmetal.backend.metal.MetalException;
import dev.djlmetal.backend.metal.MetalLibrary;
import dev.djlmetal.backend.metal.MetalPipeline;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An {@code MTLLibrary}; owns its retain and those of the pipelines made from it. */
final class ObjcMetalLibrary implements MetalLibrary {

    private final Pointer device;
    private final Pointer library;
    private final List<ObjcMetalPipeline> pipelines = new CopyOnWriteArrayList<>();

    ObjcMetalLibrary(Pointer device, Pointer library) {
        this.device = device;
        this.library = library;
    }

    /** {@inheritDoc} */
    @Override
    public MetalPipeline newPipeline(String functionName) {
        ObjcMetalPipeline pipeline = Objc.withPool(() -> buildPipeline(functionName));
        pipelines.add(pipeline);
        return pipeline;
    }

    private ObjcMetalPipeline buildPipeline(String functionName) {
        ObjcRuntime rt = Objc.rt();
        Pointer function =
                rt.msgSendPointer(
                        library, Objc.sel("newFunctionWithName:"), Objc.nsString(functionName));
        if (function == null) {
            throw new MetalException("The Metal library has no kernel named " + functionName);
        }
        try {
            PointerByReference error = new PointerByReference();
            Pointer state =
                    rt.msgSendPointer(
                            device,
                            Objc.sel("newComputePipelineStateWithFunction:error:"),
                            function,
                            error);
            if (state == null) {
                throw new MetalException(
                        "Cannot build the pipeline of "
                                + functionName
                                + ": "
                                + Objc.describeError(error.getValue(), "no error object"));
            }
            return new ObjcMetalPipeline(functionName, state);
        } finally {
            Objc.release(function);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        for (ObjcMetalPipeline pipeline : pipelines) {
            Objc.release(pipeline.handle());
        }
        pipelines.clear();
        Objc.release(library);
    }
}
