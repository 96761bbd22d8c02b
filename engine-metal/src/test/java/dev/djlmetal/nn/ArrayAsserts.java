package dev.djlmetal.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** Element-wise comparisons of NDArrays with tolerances. */
public final class ArrayAsserts {

    private ArrayAsserts() {}

    /**
     * Asserts equal shapes and {@code |a - e| <= atol + rtol * |e|} everywhere.
     *
     * @param expected the expected values
     * @param actual the actual array (any float type)
     * @param atol absolute tolerance
     * @param rtol relative tolerance
     */
    public static void assertClose(NDArray expected, NDArray actual, double atol, double rtol) {
        Shape es = expected.getShape();
        assertArrayEquals(es.getShape(), actual.getShape().getShape(), "shape");
        float[] e = expected.toType(DataType.FLOAT32, true).toFloatArray();
        float[] a = actual.toType(DataType.FLOAT32, true).toFloatArray();
        assertClose(e, a, atol, rtol);
    }

    /**
     * Asserts {@code |a - e| <= atol + rtol * |e|} element-wise.
     *
     * @param e the expected values
     * @param a the actual values
     * @param atol absolute tolerance
     * @param rtol relative tolerance
     */
    public static void assertClose(float[] e, float[] a, double atol, double rtol) {
        if (e.length != a.length) {
            fail("length " + a.length + " != expected " + e.length);
        }
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]))) {
                fail("element " + i + ": " + a[i] + " != expected " + e[i]);
            }
        }
    }
}
