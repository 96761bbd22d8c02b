package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.quant.QuantSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs in a JVM started without {@code --add-modules=jdk.incubator.vector} (the {@code
 * no-vector-module} Surefire execution of engine-metal): the backend must fall back to its scalar
 * kernel without touching the module, and still compute correct products.
 */
class CpuWithoutVectorModuleTest {

    @Test
    void fallsBackToTheScalarKernelAndStaysCorrect() {
        Assumptions.assumeFalse(
                CpuKernels.isVectorApiPresent(),
                "runs only in the no-vector-module Surefire execution");
        CpuQuantizedMatmul backend = new CpuQuantizedMatmul(BackendSettings.defaults());
        assertEquals("scalar", backend.kernelName());
        assertThrows(IllegalStateException.class, CpuKernels::vector);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int bits : QuantSpec.SUPPORTED_BITS) {
                RandomQuantized q = new RandomQuantized(7, 128, bits, 64, bits);
                try (CpuPreparedWeight weight =
                        backend.prepare(q.toTensor(manager, DataType.FLOAT32))) {
                    CpuQuantizedMatmulTest.checkProduct(manager, q, weight, 1, DataType.FLOAT32);
                    CpuQuantizedMatmulTest.checkProduct(manager, q, weight, 3, DataType.FLOAT32);
                }
            }
        }
    }
}
