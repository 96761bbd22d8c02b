package dev.djlmetal.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.cpu.CpuPreparedWeight;
import dev.djlmetal.backend.cpu.CpuQuantizedMatmul;
import dev.djlmetal.quant.QuantizedTensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH benchmark of one Llama-3.2-1B linear layer: DJL PyTorch float32 {@code linear} against the
 * cpu backend's fused 4-bit and 8-bit matmul (group size 64), at M=1 (decode) and M=128 (prefill).
 *
 * <p>Weight bandwidth is the weight bytes (float32: {@code 4NK}; quantized: packed words, scales
 * and biases) divided by the reported time; {@link KernelBenchTable} prints it next to the
 * machine's measured memory bandwidth.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dai.djl.offline=true"})
public class QuantizedLinearBenchmark {

    /** The weight shape {@code NxK}. */
    @Param({"2048x2048", "512x2048", "8192x2048", "2048x8192", "128256x2048"})
    public String shape;

    /** The number of activation rows M. */
    @Param({"1", "128"})
    public int rows;

    /** {@code float32}, {@code q4} or {@code q8}. */
    @Param({"float32", "q4", "q8"})
    public String weights;

    private NDManager manager;
    private NDArray input;
    private NDArray floatWeight;
    private QuantizedTensor quantized;
    private CpuPreparedWeight prepared;

    /** Creates the seeded random weight and activations. */
    @Setup(Level.Trial)
    public void setUp() {
        Engine.getInstance().setRandomSeed(42);
        manager = NDManager.newBaseManager();
        LinearShape layer = LinearShape.parse(shape);
        input = BenchWeights.activations(manager, rows, layer);
        if ("float32".equals(weights)) {
            floatWeight = BenchWeights.float32(manager, layer);
        } else {
            int bits = "q4".equals(weights) ? 4 : 8;
            quantized = BenchWeights.quantized(manager, layer, bits, 64, bits);
            prepared = new CpuQuantizedMatmul(BackendSettings.defaults()).prepare(quantized);
        }
    }

    /**
     * Multiplies the activations with the weight.
     *
     * @return the sum of one output element, to keep the product alive
     */
    @Benchmark
    public float multiply() {
        try (NDArray out =
                floatWeight != null
                        ? Linear.linear(input, floatWeight).singletonOrThrow()
                        : prepared.apply(input)) {
            return out.getFloat(0, 0);
        }
    }

    /** Releases the native memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (prepared != null) {
            prepared.close();
        }
        manager.close();
    }
}
