package dev.djlmetal.examples.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.ndarray.NDArrayQuantizedMatmul;
import dev.djlmetal.nn.MetalQuantizedLinear;
import dev.djlmetal.quant.AffineQuantizer;
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
 * The portable (NDArray backend) {@link MetalQuantizedLinear} forward at 4 bits, group size 64,
 * with and without the dequantized-weight cache, against DJL's float {@link Linear} on the same
 * weight.
 *
 * <p>Run it with {@code mvn -B -o -pl examples -am package -Pjmh -DskipTests}; JMH options go after
 * the benchmark name in {@code jmh.args}, for example {@code -Djmh.args="PortableLinearBenchmark -f
 * 1 -wi 2 -i 3 -p m=1"}. The uncached layer dequantizes the whole weight on every call, so it
 * measures the cost the cache removes; the cached layer holds {@code N * K * 4} bytes per layer, 8
 * times the 4-bit packed size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PortableLinearBenchmark {

    /** The weight shape {@code N x K}: out features by in features. */
    @Param({"2048x2048", "8192x2048"})
    public String shape;

    /** The number of activation rows M (1: decoding one token, 128: a prompt). */
    @Param({"1", "128"})
    public int m;

    private NDManager manager;
    private ParameterStore store;
    private NDArray x;
    private Linear floatLinear;
    private MetalQuantizedLinear cached;
    private MetalQuantizedLinear uncached;

    /** Creates a random weight, the float layer and the two quantized layers. */
    @Setup(Level.Trial)
    public void setUp() {
        String[] dims = shape.split("x");
        long n = Long.parseLong(dims[0]);
        long k = Long.parseLong(dims[1]);
        manager = NDManager.newBaseManager();
        store = new ParameterStore(manager, false);
        NDArray weight = manager.randomNormal(0, 0.02f, new Shape(n, k), DataType.FLOAT32);
        floatLinear = Linear.builder().setUnits(n).optBias(false).build();
        floatLinear.getParameters().get("weight").setArray(weight);
        cached = quantized(weight, true);
        uncached = quantized(weight, false);
        x = manager.randomNormal(new Shape(m, k));
        // the cached layer dequantizes on its first product: keep that out of the measurement
        forward(cached);
    }

    private static MetalQuantizedLinear quantized(NDArray weight, boolean cache) {
        BackendSettings settings = BackendSettings.builder().optCacheDequantized(cache).build();
        return MetalQuantizedLinear.builder()
                .setWeight(AffineQuantizer.quantize(weight, 4, 64))
                .optBackend(new NDArrayQuantizedMatmul(settings))
                .build();
    }

    private float forward(Block block) {
        try (NDArray y = block.forward(store, new NDList(x), false).singletonOrThrow()) {
            return y.getFloat(0, 0);
        }
    }

    /**
     * DJL's float32 {@link Linear}.
     *
     * @return one output element, so the work cannot be eliminated
     */
    @Benchmark
    public float floatLinear() {
        return forward(floatLinear);
    }

    /**
     * The quantized layer with its dequantized weight cached (float matmul plus nothing).
     *
     * @return one output element
     */
    @Benchmark
    public float quantizedCached() {
        return forward(cached);
    }

    /**
     * The quantized layer dequantizing on every product.
     *
     * @return one output element
     */
    @Benchmark
    public float quantizedUncached() {
        return forward(uncached);
    }

    /** Frees every array. */
    @TearDown(Level.Trial)
    public void tearDown() {
        cached.close();
        uncached.close();
        manager.close();
    }
}
