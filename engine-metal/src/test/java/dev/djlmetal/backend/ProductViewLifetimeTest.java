package dev.djlmetal.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.quant.QuantizedTensor;
import dev.djlmetal.quant.ReferenceQuantizer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A view of a product stays valid after the product array is closed, on every backend. A decoder
 * layer does exactly this: it closes its temporaries, among them the value projection, whose
 * transposed view lives on in the key/value cache.
 *
 * <p>A product whose memory the engine does not own (a direct buffer wrapped by the PyTorch engine
 * without a copy) is freed by the garbage collector once its array is closed, and the view then
 * reads what is allocated there next. Each round collects garbage, allocates buffers of the
 * product's size filled with NaN bytes (the sizes malloc hands a freed block back for) and checks
 * the view; a borrowed product is caught within the first rounds nearly every time.
 */
class ProductViewLifetimeTest {

    private static final int ROWS = 10;
    private static final int K = 64;
    private static final int N = 32;
    private static final int HEADS = 2;
    private static final int TRIALS = 4;
    private static final int ROUNDS = 10;
    private static final int CHURN_BUFFERS = 64;

    static Stream<Arguments> backends() {
        List<Arguments> out = new ArrayList<>();
        for (BackendKind kind :
                new BackendKind[] {
                    BackendKind.CPU, BackendKind.NDARRAY, BackendKind.METAL_EMULATED
                }) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                out.add(Arguments.of(kind, type));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backends")
    void viewOfAClosedProductKeepsItsValues(BackendKind kind, DataType type) {
        Assumptions.assumeTrue(Backends.isAvailable(kind), kind + " is not available here");
        QuantizedMatmul backend = Backends.create(kind, Device.cpu(), BackendSettings.defaults());
        Random random = new Random(20260412L);
        float[] w = new float[N * K];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        float[] x = new float[ROWS * K];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextFloat() * 2 - 1;
        }
        ReferenceQuantizer.Result q = ReferenceQuantizer.quantize(w, N, K, 4, 64);
        int productBytes = ROWS * N * type.getNumOfBytes();
        try (NDManager manager = NDManager.newBaseManager();
                QuantizedTensor weight = q.toTensor(manager, DataType.FLOAT32);
                PreparedWeight prepared = backend.prepare(weight)) {
            for (int trial = 0; trial < TRIALS; trial++) {
                NDArray input = manager.create(x, new Shape(1, ROWS, K)).toType(type, false);
                NDArray product = prepared.apply(input);
                // as Attention splits a projection into heads: [1, heads, rows, head_dim]
                NDArray view = product.reshape(1, ROWS, HEADS, N / HEADS).transpose(0, 2, 1, 3);
                float[] expected = view.toType(DataType.FLOAT32, false).toFloatArray();
                product.close();
                for (int round = 0; round < ROUNDS; round++) {
                    List<ByteBuffer> churn = churn(productBytes);
                    float[] actual = view.toType(DataType.FLOAT32, false).toFloatArray();
                    assertArrayEquals(
                            expected,
                            actual,
                            kind
                                    + " "
                                    + type
                                    + ": the view changed after its product was closed (trial "
                                    + trial
                                    + ", round "
                                    + round
                                    + ", "
                                    + churn.size()
                                    + " buffers allocated)");
                }
                view.close();
                input.close();
            }
        }
    }

    /** Collects garbage, then takes blocks of the product's size and fills them with NaN bytes. */
    private static List<ByteBuffer> churn(int bytes) {
        System.gc();
        List<ByteBuffer> buffers = new ArrayList<>(CHURN_BUFFERS);
        for (int i = 0; i < CHURN_BUFFERS; i++) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(bytes);
            while (buffer.hasRemaining()) {
                buffer.put((byte) 0xFF);
            }
            buffers.add(buffer);
        }
        return buffers;
    }
}
