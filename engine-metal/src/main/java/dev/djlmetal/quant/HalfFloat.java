package dev.djlmetal.quant;

/**
 * IEEE 754 binary16 (half precision) conversions in plain Java, for Java 17 which lacks {@code
 * Float.floatToFloat16}.
 *
 * <p>Conversion from float rounds to nearest, ties to even, as a float32 to float16 cast does in
 * PyTorch and MLX; overflow gives infinity, NaN stays NaN.
 */
public final class HalfFloat {

    private HalfFloat() {}

    /**
     * Converts a float to the bits of the nearest half (ties to even).
     *
     * @param value the float value
     * @return the 16 bits of the half, in the low bits of a {@code short}
     */
    public static short toHalfBits(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exponent == 0xFF) {
            int nan = mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0;
            return (short) (sign | 0x7C00 | nan);
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (halfExponent <= 0) {
            if (halfExponent < -10) {
                return (short) sign;
            }
            int shift = 14 - halfExponent;
            int full = mantissa | 0x800000;
            return (short) (sign | roundShift(full, shift));
        }
        int half = (halfExponent << 10) | (mantissa >>> 13);
        int remainder = mantissa & 0x1FFF;
        if (remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }

    /**
     * Converts the bits of a half to a float (exact).
     *
     * @param halfBits the 16 bits of the half, in the low bits
     * @return the float value
     */
    public static float toFloat(short halfBits) {
        int h = halfBits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    /**
     * Rounds a float to the nearest half-precision value (ties to even), returned as a float.
     *
     * @param value the float value
     * @return the value a float32 to float16 cast gives, widened back to float
     */
    public static float round(float value) {
        return toFloat(toHalfBits(value));
    }

    private static int roundShift(int value, int shift) {
        int result = value >>> shift;
        int remainder = value & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (result & 1) == 1)) {
            result++;
        }
        return result;
    }
}
