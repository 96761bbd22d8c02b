package dev.djlmetal.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * How the cpu backend picks its kernel: the vector kernel of the width asked for, and the scalar
 * kernel, with the reason, when the vector kernel cannot link or computes wrong results.
 */
class CpuKernelsTest {

    @Test
    void aVectorApiLinkageErrorFallsBackToTheScalarKernel() {
        CpuKernels.Choice choice =
                CpuKernels.checked(
                        () -> {
                            throw new NoSuchMethodError(
                                    "'jdk.incubator.vector.IntVector"
                                        + " jdk.incubator.vector.IntVector.fromByteBuffer(...)'");
                        });
        assertEquals("scalar", choice.kernel().name());
        assertTrue(choice.fallbackReason().contains("NoSuchMethodError"), choice.fallbackReason());
        assertTrue(choice.fallbackReason().contains("fromByteBuffer"), choice.fallbackReason());
    }

    @Test
    void aLinkageErrorInsideTheKernelFallsBackToo() {
        CpuKernels.Choice choice =
                CpuKernels.checked(() -> new FailingKernel(new NoSuchMethodError("missing")));
        assertEquals("scalar", choice.kernel().name());
        assertTrue(choice.fallbackReason().contains("missing"), choice.fallbackReason());
    }

    @Test
    void aKernelWithWrongResultsFallsBackToTheScalarKernel() {
        CpuKernels.Choice choice = CpuKernels.checked(WrongKernel::new);
        assertEquals("scalar", choice.kernel().name());
        assertTrue(choice.fallbackReason().contains("differs"), choice.fallbackReason());
    }

    @Test
    void theVectorKernelPassesItsCheckOnThisJvm() {
        Assumptions.assumeTrue(CpuKernels.isVectorApiPresent(), "needs the Vector API module");
        CpuKernel vector = CpuKernels.vector();
        CpuKernels.Choice choice = CpuKernels.checked(() -> vector);
        assertNull(choice.fallbackReason());
        assertSame(vector, choice.kernel());
    }

    @Test
    void theVectorWidthFollowsTheSystemProperty() {
        Assumptions.assumeTrue(CpuKernels.isVectorApiPresent(), "needs the Vector API module");
        int requested = CpuKernels.requestedVectorBits();
        String name = CpuKernels.vector().name();
        if (requested != 0) {
            assertEquals("vector-" + requested + "bit", name);
        } else {
            assertTrue(name.matches("vector-(64|128|256|512|1024|2048)bit"), name);
        }
    }

    @Test
    void anInvalidVectorWidthIsRejectedWithThePropertyName() {
        String previous = System.getProperty(CpuKernels.VECTOR_BITS_PROPERTY);
        try {
            for (String bad : new String[] {"384", "wide", "1024"}) {
                System.setProperty(CpuKernels.VECTOR_BITS_PROPERTY, bad);
                IllegalArgumentException e =
                        assertThrows(
                                IllegalArgumentException.class, CpuKernels::requestedVectorBits);
                assertTrue(e.getMessage().contains(CpuKernels.VECTOR_BITS_PROPERTY));
                assertTrue(e.getMessage().contains(bad), e.getMessage());
            }
            System.setProperty(CpuKernels.VECTOR_BITS_PROPERTY, "auto");
            assertEquals(0, CpuKernels.requestedVectorBits());
            System.setProperty(CpuKernels.VECTOR_BITS_PROPERTY, "128");
            assertEquals(128, CpuKernels.requestedVectorBits());
        } finally {
            if (previous == null) {
                System.clearProperty(CpuKernels.VECTOR_BITS_PROPERTY);
            } else {
                System.setProperty(CpuKernels.VECTOR_BITS_PROPERTY, previous);
            }
        }
    }

    /** The scalar kernel with a matrix-vector product that is off by one. */
    private static final class WrongKernel extends CpuKernel {

        private final CpuKernel scalar = CpuKernels.scalar();

        @Override
        String name() {
            return "wrong";
        }

        @Override
        void layoutActivations(FloatBuffer x, int m, PackedMatrix w, float[] dst) {
            scalar.layoutActivations(x, m, w, dst);
        }

        @Override
        void matvec(PackedMatrix w, float[] x, float[] groupSums, FloatBuffer out, int n0, int n1) {
            scalar.matvec(w, x, groupSums, out, n0, n1);
            for (int n = n0; n < n1; n++) {
                out.put(n, out.get(n) + 1);
            }
        }

        @Override
        void dequantizeRow(PackedMatrix w, int row, float[] dst, int dstOffset) {
            scalar.dequantizeRow(w, row, dst, dstOffset);
        }
    }

    /** A kernel whose first product throws, as a method the JVM cannot link would. */
    private static final class FailingKernel extends CpuKernel {

        private final Error error;

        FailingKernel(Error error) {
            this.error = error;
        }

        @Override
        String name() {
            return "failing";
        }

        @Override
        void layoutActivations(FloatBuffer x, int m, PackedMatrix w, float[] dst) {
            throw error;
        }

        @Override
        void matvec(PackedMatrix w, float[] x, float[] groupSums, FloatBuffer out, int n0, int n1) {
            throw error;
        }

        @Override
        void smallBatch(
                PackedMatrix w,
                float[] x,
                int m,
                float[] groupSums,
                FloatBuffer out,
                int n0,
                int n1) {
            throw error;
        }

        @Override
        void dequantizeRow(PackedMatrix w, int row, float[] dst, int dstOffset) {
            throw error;
        }
    }
}
