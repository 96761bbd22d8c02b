package dev.djlmetal.engine;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.SymbolBlock;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterServer;
import ai.djl.training.optimizer.Optimizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The Metal engine: loads models whose linear (and optionally embedding) layers use affine group
 * quantization and runs them through a quantized matmul backend.
 *
 * <p>The engine has no NDArray implementation of its own: arrays, devices, gradients and random
 * seeds are PyTorch's, so every {@link NDManager} it hands out is a PyTorch manager and {@link
 * #getAlternativeEngine()} is the PyTorch engine.
 */
public final class MetalEngine extends Engine {

    /** The name under which the engine is registered. */
    public static final String ENGINE_NAME = "Metal";

    /** The capability name reported by {@link #hasCapability(String)} for native Metal. */
    public static final String METAL_CAPABILITY = "METAL";

    /** The engine rank: above PyTorch's, so PyTorch stays the default engine. */
    static final int RANK = 10;

    static final String PYTORCH = "PyTorch";

    private static final String VERSION_RESOURCE = "engine.properties";

    private final Engine pytorch;
    private final String version;
    private volatile MetalCapabilities capabilities;

    private MetalEngine(Engine pytorch) {
        this.pytorch = pytorch;
        this.version = readVersion();
    }

    static Engine newInstance() {
        if (!Engine.hasEngine(PYTORCH)) {
            throw new EngineException(
                    "The Metal engine runs on the PyTorch engine, which is not on the classpath;"
                            + " add ai.djl.pytorch:pytorch-engine");
        }
        return new MetalEngine(Engine.getEngine(PYTORCH));
    }

    /** {@inheritDoc} */
    @Override
    public Engine getAlternativeEngine() {
        return pytorch;
    }

    /** {@inheritDoc} */
    @Override
    public String getEngineName() {
        return ENGINE_NAME;
    }

    /** {@inheritDoc} */
    @Override
    public int getRank() {
        return RANK;
    }

    /**
     * Returns the version of djl-metal.
     *
     * @return the project version, for example {@code 0.1.0-SNAPSHOT}
     */
    @Override
    public String getVersion() {
        return version;
    }

    /**
     * Returns whether the engine has a capability: {@value #METAL_CAPABILITY} when native Metal
     * kernels can run here, otherwise PyTorch's capabilities.
     *
     * @param capability the capability name
     * @return true when available
     */
    @Override
    public boolean hasCapability(String capability) {
        if (METAL_CAPABILITY.equals(capability)) {
            return getCapabilities().isNativeMetalAvailable();
        }
        return pytorch.hasCapability(capability);
    }

    /**
     * Returns what this machine offers the engine: native Metal, the available backends and the
     * backend {@code auto} resolves to. Probed once, on first use.
     *
     * @return the capabilities
     */
    public MetalCapabilities getCapabilities() {
        MetalCapabilities result = capabilities;
        if (result == null) {
            synchronized (this) {
                result = capabilities;
                if (result == null) {
                    result = MetalCapabilities.detect();
                    capabilities = result;
                }
            }
        }
        return result;
    }

    /** {@inheritDoc} */
    @Override
    public Device defaultDevice() {
        return pytorch.defaultDevice();
    }

    /** {@inheritDoc} */
    @Override
    public Device[] getDevices() {
        return pytorch.getDevices();
    }

    /** {@inheritDoc} */
    @Override
    public Device[] getDevices(int maxGpus) {
        return pytorch.getDevices(maxGpus);
    }

    /** {@inheritDoc} */
    @Override
    public int getGpuCount() {
        return pytorch.getGpuCount();
    }

    /**
     * Creates an empty {@link MetalModel}; load it with {@link Model#load(java.nio.file.Path,
     * String, java.util.Map)}.
     *
     * @param name the model name
     * @param device the device of the model's arrays, or null for the default device
     * @return a new {@link MetalModel}
     */
    @Override
    public Model newModel(String name, Device device) {
        return new MetalModel(name, device == null ? defaultDevice() : device);
    }

    /**
     * Creates an empty PyTorch symbol block (for a TorchScript module loaded later), as the PyTorch
     * engine does.
     *
     * @param manager the manager of the block's arrays
     * @return a new PyTorch symbol block
     */
    @Override
    public SymbolBlock newSymbolBlock(NDManager manager) {
        return pytorch.newSymbolBlock(manager);
    }

    /**
     * Creates a PyTorch {@link NDManager} on the default device.
     *
     * @return a new top-level PyTorch manager
     */
    @Override
    public NDManager newBaseManager() {
        return pytorch.newBaseManager();
    }

    /**
     * Creates a PyTorch {@link NDManager} on a device.
     *
     * @param device the device, or null for the default device
     * @return a new top-level PyTorch manager
     */
    @Override
    public NDManager newBaseManager(Device device) {
        return pytorch.newBaseManager(device);
    }

    /** {@inheritDoc} */
    @Override
    public GradientCollector newGradientCollector() {
        return pytorch.newGradientCollector();
    }

    /** {@inheritDoc} */
    @Override
    public ParameterServer newParameterServer(Optimizer optimizer) {
        return pytorch.newParameterServer(optimizer);
    }

    /** {@inheritDoc} */
    @Override
    public void setRandomSeed(int seed) {
        super.setRandomSeed(seed);
        pytorch.setRandomSeed(seed);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return ENGINE_NAME + ':' + version + " on " + pytorch + ", " + getCapabilities();
    }

    private static String readVersion() {
        try (InputStream in = MetalEngine.class.getResourceAsStream(VERSION_RESOURCE)) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                String value = properties.getProperty("version", "");
                if (!value.isEmpty() && !value.startsWith("${")) {
                    return value;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + VERSION_RESOURCE, e);
        }
        String manifest = MetalEngine.class.getPackage().getImplementationVersion();
        return manifest != null ? manifest : "unknown";
    }
}
