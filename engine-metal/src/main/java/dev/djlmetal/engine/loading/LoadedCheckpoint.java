package dev.djlmetal.engine.loading;

import ai.djl.nn.Block;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.engine.spi.ModelArchitecture;
import dev.djlmetal.quant.MetalConfig;

/** A model loaded from a checkpoint: its architecture and block, and how it was loaded. */
public final class LoadedCheckpoint {

    private final ModelArchitecture architecture;
    private final CheckpointFormat format;
    private final MetalConfig quantization;
    private final int quantizedModules;
    private final String summary;
    private BackendKind backendKind;
    private Object report;

    LoadedCheckpoint(
            ModelArchitecture architecture,
            CheckpointFormat format,
            MetalConfig quantization,
            int quantizedModules,
            String summary) {
        this.architecture = architecture;
        this.format = format;
        this.quantization = quantization;
        this.quantizedModules = quantizedModules;
        this.summary = summary;
    }

    LoadedCheckpoint withBackend(BackendKind backendKind, Object report) {
        this.backendKind = backendKind;
        this.report = report;
        return this;
    }

    /**
     * Returns the backend the quantized modules run on.
     *
     * @return the backend kind, or null when nothing runs quantized
     */
    public BackendKind getBackendKind() {
        return backendKind;
    }

    /**
     * Returns the quantizer's report of what was converted and what stayed float.
     *
     * @return the report, or null when nothing runs quantized
     */
    public Object getReport() {
        return report;
    }

    /**
     * Returns the architecture.
     *
     * @return the architecture built from config.json
     */
    public ModelArchitecture getArchitecture() {
        return architecture;
    }

    /**
     * Returns the loaded block, parameters set and quantized modules in place.
     *
     * @return the root block
     */
    public Block getBlock() {
        return architecture.getBlock();
    }

    /**
     * Returns the format of the checkpoint that was read.
     *
     * @return the format
     */
    public CheckpointFormat getFormat() {
        return format;
    }

    /**
     * Returns the quantization the model runs with.
     *
     * @return the configuration, or null when the model runs in float
     */
    public MetalConfig getQuantization() {
        return quantization;
    }

    /**
     * Returns the number of modules that run quantized.
     *
     * @return the count, 0 for a float model
     */
    public int getQuantizedModules() {
        return quantizedModules;
    }

    /**
     * Returns the one-line description the loader logged: what was read and how it runs.
     *
     * @return the summary
     */
    public String getSummary() {
        return summary;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return summary;
    }
}
