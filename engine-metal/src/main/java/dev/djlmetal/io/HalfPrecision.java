package dev.djlmetal.io;

/**
 * Conversions between {@code float} and the two 16-bit float formats of checkpoints, bfloat16 and
 * IEEE 754 binary16 (half), each held in the low 16 bits of a {@code short}.
 *
 * <p>Narrowing rounds to nearest, ties to even; NaN stays NaN (quiet) and infinities stay infinite.
 */
public final class HalfPrecision {

    private HalfPrecision() {}

    /**
     * Widens a bfloat16 to a float (exact).
     *
     * @param bits the bfloat16 bit pattern
     * @return the same value as a float
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /**
     * Narrows a float to bfloat16, rounding to nearest, ties to even.
     *
     * @param value the value
     * @return the bfloat16 bit pattern
     */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /**
     * Widens an IEEE half to a float (exact).
     *
     * @param bits the half bit pattern
     * @return the same value as a float
     */
    public static float f16ToFloat(short bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * Narrows a float to an IEEE half, rounding to nearest, ties to even; values of magnitude 65520
     * and above become infinity.
     *
     * @param value the value
     * @return the half bit pattern
     */
    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7fffffff;
        if (magnitude >= 0x7f800000) {
            if (magnitude == 0x7f800000) {
                return (short) (sign | 0x7c00);
            }
            return (short) (sign | 0x7e00 | ((magnitude >>> 13) & 0x3ff));
        }
        if (magnitude >= 0x477ff000) {
            return (short) (sign | 0x7c00);
        }
        if (magnitude >= 0x38800000) {
            int rebiased = magnitude - 0x38000000;
            rebiased += 0xfff + ((rebiased >>> 13) & 1);
            return (short) (sign | (rebiased >>> 13));
        }
        if (magnitude < 0x33000000) {
            return (short) sign;
        }
        int exponent = magnitude >>> 23;
        int mantissa = (magnitude & 0x7fffff) | 0x800000;
        int shift = 126 - exponent;
        int quotient = mantissa >>> shift;
        int remainder = mantissa & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (remainder > half || (remainder == half && (quotient & 1) == 1)) {
            quotient++;
        }
        return (short) (sign | quotient);
    }

    /**
     * Rounds a float to the nearest half-precision value (ties to even), returned as a float: what
     * a float32 to float16 cast followed by a widening cast gives.
     *
     * @param value the value
     * @return the rounded value
     */
    public static float roundToF16(float value) {
        return f16ToFloat(floatToF16(value));
    }
}
