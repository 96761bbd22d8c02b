package dev.djlmetal.engine;

import ai.djl.BaseModel;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.initializer.Initializer;
import ai.djl.translate.Translator;
import ai.djl.util.Pair;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.engine.loading.LoaderOptions;
import dev.djlmetal.quant.MetalConfig;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model of the Metal engine. Its arrays live in a PyTorch {@link ai.djl.ndarray.NDManager} on the
 * model's device.
 *
 * <p>What {@link #load(Path, String, Map)} reads depends on the model, in this order:
 *
 * <ol>
 *   <li>a block set before loading ({@link #setBlock}): its parameters from DJL's {@code
 *       PREFIX-EPOCH.params} file, exactly as the PyTorch engine loads a model it saved;
 *   <li>a TorchScript file ({@code PREFIX.pt}, {@code DIRNAME.pt} or {@code model.pt}) in a
 *       directory that holds no {@code config.json}: loaded by the PyTorch engine, whose block this
 *       model then runs;
 *   <li>otherwise a checkpoint ({@code config.json} and safetensors): built by the installed {@link
 *       ModelLoader} (the model-zoo module), which also records here the quantization
 *       configuration, the chosen backend and the quantization report.
 * </ol>
 *
 * <p>Training ({@link #newTrainer}), saving and everything else a DJL model does run on the PyTorch
 * machinery, as for a model of the PyTorch engine.
 */
public class MetalModel extends BaseModel {

    private static final Logger logger = LoggerFactory.getLogger(MetalModel.class);

    private static final String TORCHSCRIPT = ".pt";

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
        dataType = DataType.FLOAT32;
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
     * Loads the model: DJL parameters into a block set before, a TorchScript file, or a checkpoint
     * (see the class description). The options are checked first, so that bad values and unknown
     * options fail before any file is read (see {@link MetalConfig#fromOptions(Map)} and {@link
     * LoaderOptions}); the options DJL Serving adds for other engines are accepted and named in one
     * log line.
     *
     * @param modelPath the model directory, or a file inside it
     * @param prefix the model name (the file name prefix of DJL parameters and TorchScript files),
     *     or null to keep the current one
     * @param options the loading options, may be null
     * @throws IllegalArgumentException naming the option when an option is unknown or its value is
     *     invalid
     * @throws IOException when the model files cannot be read
     * @throws MalformedModelException when no loader is installed or the model is invalid
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
        LoaderOptions.check(given);
        if (!Files.exists(modelPath)) {
            throw new FileNotFoundException("Model path does not exist: " + modelPath);
        }
        List<String> ignored = LoaderOptions.ignoredServingOptions(given);
        if (!ignored.isEmpty()) {
            logger.info(
                    "Model {}: ignoring DJL Serving options that engine Metal does not use: {}",
                    prefix == null ? modelName : prefix,
                    String.join(", ", ignored));
        }
        for (String name : LoaderOptions.GENERATION) {
            Object value = given.get(name);
            if (value != null) {
                properties.putIfAbsent(name, value.toString());
            }
        }
        Path absolute = modelPath.toAbsolutePath();
        if (block != null) {
            requireNoQuantization(given, "a block set before loading (DJL parameters)");
            loadParameters(absolute, prefix, given);
            return;
        }
        Path dir = Files.isDirectory(absolute) ? absolute : absolute.getParent();
        Path torchScript = findTorchScript(absolute, prefix);
        if (torchScript != null && !Files.isRegularFile(dir.resolve("config.json"))) {
            requireNoQuantization(given, "TorchScript file " + torchScript);
            loadTorchScript(absolute, prefix, given);
            return;
        }
        Iterator<ModelLoader> iterator = loaders.iterator();
        if (!iterator.hasNext()) {
            throw new MalformedModelException(
                    "No djl-metal model loader is installed; add the model-zoo module"
                            + " (dev.djlmetal:model-zoo) to the classpath");
        }
        setModelDir(dir);
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

    /**
     * Loads DJL parameters ({@code .params} content, as written by {@link #save}) into the block
     * set before, as the PyTorch engine does; without a block, loads a TorchScript module from the
     * stream with the PyTorch engine.
     *
     * @param is the stream
     * @param options the loading options ({@code mapLocation} for TorchScript), may be null
     * @throws IOException when the stream cannot be read
     * @throws MalformedModelException when the content does not match the block
     */
    @Override
    public void load(InputStream is, Map<String, ?> options)
            throws IOException, MalformedModelException {
        Map<String, ?> given = options == null ? Map.of() : options;
        LoaderOptions.check(given);
        if (block != null) {
            requireNoQuantization(given, "a block set before loading (DJL parameters)");
            readParameters(is, given);
            wasLoaded = true;
            return;
        }
        requireNoQuantization(given, "a TorchScript stream");
        Model torch = newTorchModel();
        try {
            torch.load(is, given);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            torch.close();
            throw e;
        }
        adopt(torch);
    }

    /**
     * Creates a predictor; a translator that is a {@link PredictorBlockAdapter} gets a predictor
     * running its adapted block (for example the streaming generation block of the model zoo).
     *
     * @param translator the translator
     * @param device the device of the predictor
     * @param <I> the input type
     * @param <O> the output type
     * @return a new predictor
     */
    @Override
    public <I, O> Predictor<I, O> newPredictor(Translator<I, O> translator, Device device) {
        if (translator instanceof PredictorBlockAdapter && block != null) {
            Block adapted = ((PredictorBlockAdapter) translator).adaptPredictorBlock(block);
            return new MetalPredictor<>(this, translator, device, adapted);
        }
        return super.newPredictor(translator, device);
    }

    /**
     * Creates a trainer, as the PyTorch engine does: a loaded model's parameters are unfrozen
     * (running statistics excepted) and the configuration's initializers are set on the block.
     *
     * @param trainingConfig the training configuration
     * @return a new trainer
     * @throws IllegalStateException when the model has no block
     */
    @Override
    public Trainer newTrainer(TrainingConfig trainingConfig) {
        if (block == null) {
            throw new IllegalStateException(
                    "You must set a block for the model before creating a new trainer");
        }
        if (wasLoaded) {
            block.freezeParameters(
                    false,
                    p ->
                            p.getType() != Parameter.Type.RUNNING_MEAN
                                    && p.getType() != Parameter.Type.RUNNING_VAR);
        }
        for (Pair<Initializer, Predicate<Parameter>> pair : trainingConfig.getInitializers()) {
            if (pair.getKey() != null && pair.getValue() != null) {
                block.setInitializer(pair.getKey(), pair.getValue());
            }
        }
        return new Trainer(this, trainingConfig);
    }

    /**
     * Returns the files of the model directory, relative to it, except model files ({@code .pt},
     * {@code .params} and {@code .safetensors}).
     *
     * @return the artifact names
     */
    @Override
    public String[] getArtifactNames() {
        if (modelDir == null) {
            return new String[0];
        }
        try (var files = Files.walk(modelDir)) {
            return files.filter(Files::isRegularFile)
                    .filter(
                            f -> {
                                String name = f.getFileName().toString();
                                return !name.endsWith(TORCHSCRIPT)
                                        && !name.endsWith(".params")
                                        && !name.endsWith(".safetensors");
                            })
                    .map(f -> modelDir.relativize(f).toString())
                    .sorted()
                    .toArray(String[]::new);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot list the files of " + modelDir, e);
        }
    }

    private void loadParameters(Path path, String prefix, Map<String, ?> options)
            throws IOException, MalformedModelException {
        setModelDir(path);
        if (prefix == null) {
            prefix = modelName;
        }
        wasLoaded = true;
        loadBlock(prefix, options);
    }

    private void loadTorchScript(Path path, String prefix, Map<String, ?> options)
            throws IOException, MalformedModelException {
        Model torch = newTorchModel();
        try {
            torch.load(path, prefix, options);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            torch.close();
            throw e;
        }
        adopt(torch);
        if (prefix != null) {
            modelName = prefix;
        }
    }

    private Model newTorchModel() {
        return Engine.getEngine(MetalEngine.PYTORCH).newModel(modelName, device);
    }

    /**
     * Takes the block of a model loaded by the PyTorch engine, which then lives as long as this.
     */
    private void adopt(Model torch) {
        addResource(torch);
        block = torch.getBlock();
        modelDir = torch.getModelPath();
        properties.putAll(torch.getProperties());
        wasLoaded = true;
    }

    private Path findTorchScript(Path path, String prefix) {
        if (Files.isRegularFile(path)) {
            return path.getFileName().toString().endsWith(TORCHSCRIPT) ? path : null;
        }
        List<String> names = new ArrayList<>();
        if (prefix != null) {
            names.add(prefix);
        } else {
            names.add(modelName);
            names.add(path.getFileName() == null ? "model" : path.getFileName().toString());
            names.add("model");
        }
        for (String name : names) {
            Path file = path.resolve(name.endsWith(TORCHSCRIPT) ? name : name + TORCHSCRIPT);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        return null;
    }

    private static void requireNoQuantization(Map<String, ?> options, String what) {
        if (MetalConfig.requestsQuantization(options)) {
            throw new IllegalArgumentException(
                    "Quantization options (bits, quantization) apply to checkpoints (config.json"
                            + " and safetensors), not to "
                            + what
                            + "; quantize a DJL block with MetalQuantizer.quantize(block, config)");
        }
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
