package dev.djlmetal.engine;

import ai.djl.BaseModel;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.nn.Block;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.quant.MetalConfig;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model of the Metal engine. Its arrays live in a PyTorch {@link ai.djl.ndarray.NDManager} on the
 * model's device; its block is built by an installed {@link ModelLoader} (the model-zoo module),
 * which also records here the quantization configuration, the chosen backend and the quantization
 * report.
 */
public class MetalModel extends BaseModel {

    private static final Logger logger = LoggerFactory.getLogger(MetalModel.class);

    private final Device device;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private MetalConfig config;
    private BackendKind backendKind;
    private Object quantizationReport;
    private boolean closed;

    /**
     * Creates an empty model.
     *
     * @param name the model name
     * @param device the device of the model's arrays
     */
    public MetalModel(String name, Device device) {
        super(name);
        this.device = Objects.requireNonNull(device, "device");
        manager = Engine.getEngine(MetalEngine.PYTORCH).newBaseManager(device);
        manager.setName("metalModel");
    }

    /**
     * Returns the device of the model's arrays.
     *
     * @return the device
     */
    public Device getDevice() {
        return device;
    }

    /**
     * Loads a checkpoint. The Metal options are parsed first (see {@link
     * MetalConfig#fromOptions(Map)}), so bad values fail before any file is read; the installed
     * {@link ModelLoader} then builds the block.
     *
     * @param modelPath the checkpoint directory, or a file inside it
     * @param prefix the model name, or null to keep the current one
     * @param options the loading options, may be null
     * @throws IllegalArgumentException naming the option when an option value is invalid
     * @throws IOException when the checkpoint cannot be read
     * @throws MalformedModelException when no loader is installed or the checkpoint is invalid
     */
    @Override
    public void load(Path modelPath, String prefix, Map<String, ?> options)
            throws IOException, MalformedModelException {
        load(
                modelPath,
                prefix,
                options,
                ServiceLoader.load(ModelLoader.class, loaderClassLoader()));
    }

    void load(Path modelPath, String prefix, Map<String, ?> options, Iterable<ModelLoader> loaders)
            throws IOException, MalformedModelException {
        Map<String, ?> given = options == null ? Map.of() : options;
        MetalConfig parsed = MetalConfig.fromOptions(given);
        if (!Files.exists(modelPath)) {
            throw new FileNotFoundException("Model path does not exist: " + modelPath);
        }
        Iterator<ModelLoader> iterator = loaders.iterator();
        if (!iterator.hasNext()) {
            throw new MalformedModelException(
                    "No djl-metal model loader is installed; add the model-zoo module"
                            + " (dev.djlmetal:model-zoo) to the classpath");
        }
        Path absolute = modelPath.toAbsolutePath();
        setModelDir(Files.isDirectory(absolute) ? absolute : absolute.getParent());
        if (prefix != null) {
            modelName = prefix;
        }
        config = parsed;
        try {
            iterator.next().load(this, modelDir, given, parsed);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            config = null;
            throw e;
        }
        wasLoaded = true;
    }

    private static ClassLoader loaderClassLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : MetalModel.class.getClassLoader();
    }

    /**
     * Returns the quantization configuration the model was loaded with.
     *
     * @return the configuration, or null before {@link #load(Path, String, Map)}
     */
    public MetalConfig getConfig() {
        return config;
    }

    /**
     * Records the effective quantization configuration (for example the one read from the
     * checkpoint); called by the {@link ModelLoader}.
     *
     * @param config the configuration
     */
    public void setConfig(MetalConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Returns the backend the quantized layers run on.
     *
     * @return a concrete backend kind, or null when not recorded (nothing quantized, or not loaded)
     */
    public BackendKind getBackendKind() {
        return backendKind;
    }

    /**
     * Records the backend the quantized layers run on; called by the {@link ModelLoader}.
     *
     * @param backendKind the concrete backend kind
     */
    public void setBackendKind(BackendKind backendKind) {
        this.backendKind = Objects.requireNonNull(backendKind, "backendKind");
    }

    /**
     * Returns the report of what was quantized, as recorded by the loader.
     *
     * @return the report (for example a {@code QuantizationReport}), or null when not recorded
     */
    public Object getQuantizationReport() {
        return quantizationReport;
    }

    /**
     * Records the report of what was quantized; called by the {@link ModelLoader}.
     *
     * @param quantizationReport the report
     */
    public void setQuantizationReport(Object quantizationReport) {
        this.quantizationReport = quantizationReport;
    }

    /**
     * Hands a resource to the model (a memory-mapped checkpoint, a backend, prepared weights): it
     * is closed when the model is closed, in reverse order of registration.
     *
     * @param resource the resource
     */
    public void addResource(AutoCloseable resource) {
        synchronized (resources) {
            if (closed) {
                throw new IllegalStateException("Model " + modelName + " is closed");
            }
            resources.add(Objects.requireNonNull(resource, "resource"));
        }
    }

    /**
     * Closes the block when it is {@link AutoCloseable}, then the registered resources (last
     * registered first), then the model's manager. A resource that fails to close is logged and the
     * others are still closed. Closing twice has no further effect.
     */
    @Override
    public void close() {
        List<AutoCloseable> toClose;
        synchronized (resources) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(resources);
            resources.clear();
        }
        Block current = block;
        if (current instanceof AutoCloseable) {
            toClose.add((AutoCloseable) current);
        }
        for (int i = toClose.size() - 1; i >= 0; --i) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                logger.warn("Failed to close a resource of model {}", modelName, e);
            }
        }
        super.close();
    }
}
