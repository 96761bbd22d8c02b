package dev.djlmetal.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfPrecisionTest {

    private static float bits(int bits) {
        return Float.intBitsToFloat(bits);
    }

    private static int bf16(float value) {
        return HalfPrecision.floatToBf16(value) & 0xffff;
    }

    private static int f16(float value) {
        return HalfPrecision.floatToF16(value) & 0xffff;
    }

    @Test
    void bf16NarrowingRoundsToNearestEven() {
        assertEquals(0x3f80, bf16(1.0f));
        assertEquals(0xc000, bf16(-2.0f));
        // pi = 0x40490fdb: low half 0x0fdb < 0x8000 rounds down
        assertEquals(0x4049, bf16((float) Math.PI));
        // exactly halfway between 0x3f80 and 0x3f81: keep the even 0x3f80
        assertEquals(0x3f80, bf16(bits(0x3f808000)));
        // exactly halfway between 0x3f81 and 0x3f82: round up to the even 0x3f82
        assertEquals(0x3f82, bf16(bits(0x3f818000)));
        // just above halfway rounds up
        assertEquals(0x3f81, bf16(bits(0x3f808001)));
        // just below halfway rounds down
        assertEquals(0x3f81, bf16(bits(0x3f817fff)));
        // the largest float overflows to infinity; infinities and zeros keep their sign
        assertEquals(0x7f80, bf16(Float.MAX_VALUE));
        assertEquals(0xff80, bf16(Float.NEGATIVE_INFINITY));
        assertEquals(0x8000, bf16(-0.0f));
        int nan = bf16(Float.NaN);
        assertEquals(0x7f80, nan & 0x7f80);
        assertTrue((nan & 0x7f) != 0, "NaN must stay NaN");
        // a NaN whose payload sits only in the low bits must not become infinity
        int lowNan = bf16(bits(0x7f800001));
        assertTrue((lowNan & 0x7f) != 0, "low-payload NaN must stay NaN");
    }

    @Test
    void bf16WideningShiftsBits() {
        assertEquals(1.0f, HalfPrecision.bf16ToFloat((short) 0x3f80));
        assertEquals(-3.140625f, HalfPrecision.bf16ToFloat((short) 0xc049));
        assertEquals(Float.POSITIVE_INFINITY, HalfPrecision.bf16ToFloat((short) 0x7f80));
        for (int b = 0; b < 0x10000; b++) {
            float value = HalfPrecision.bf16ToFloat((short) b);
            if (!Float.isNaN(value)) {
                assertEquals(b, bf16(value), "bf16 round trip of " + Integer.toHexString(b));
            }
        }
    }

    @Test
    void f16NarrowingRoundsToNearestEven() {
        assertEquals(0x3c00, f16(1.0f));
        assertEquals(0xc000, f16(-2.0f));
        assertEquals(0x2e66, f16(0.1f));
        assertEquals(0x7bff, f16(65504f));
        // 65520 is halfway between 65504 (odd mantissa) and 65536 (infinity): rounds to infinity
        assertEquals(0x7c00, f16(65520f));
        assertEquals(0x7bff, f16(Math.nextDown(65520f)));
        assertEquals(0x0400, f16(0x1p-14f));
        assertEquals(0x0001, f16(0x1p-24f));
        // 2^-25 is halfway between 0 and the smallest subnormal: ties to even (zero)
        assertEquals(0x0000, f16(0x1p-25f));
        assertEquals(0x0001, f16(Math.nextUp(0x1p-25f)));
        // 1.5 * 2^-24 is halfway between subnormals 1 and 2: ties to even (2)
        assertEquals(0x0002, f16(1.5f * 0x1p-24f));
        // 1 + 2^-11 is halfway between 0x3c00 and 0x3c01: keeps 0x3c00
        assertEquals(0x3c00, f16(1.0f + 0x1p-11f));
        // 1 + 3 * 2^-11 is halfway between 0x3c01 and 0x3c02: goes to 0x3c02
        assertEquals(0x3c02, f16(1.0f + 3 * 0x1p-11f));
        assertEquals(0x8000, f16(-0.0f));
        assertEquals(0xfc00, f16(Float.NEGATIVE_INFINITY));
        assertEquals(0x7c00, f16(1e10f));
        assertEquals(0x7c00, HalfPrecision.floatToF16(Float.NaN) & 0x7c00);
        assertTrue((HalfPrecision.floatToF16(Float.NaN) & 0x3ff) != 0, "NaN must stay NaN");
    }

    @Test
    void f16WideningIsExactForEveryPattern() {
        assertEquals(1.0f, HalfPrecision.f16ToFloat((short) 0x3c00));
        assertEquals(65504f, HalfPrecision.f16ToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, HalfPrecision.f16ToFloat((short) 0x0001));
        assertEquals(-0x1p-14f, HalfPrecision.f16ToFloat((short) 0x8400));
        assertTrue(Float.isNaN(HalfPrecision.f16ToFloat((short) 0x7e00)));
        for (int h = 0; h < 0x10000; h++) {
            float value = HalfPrecision.f16ToFloat((short) h);
            if (!Float.isNaN(value)) {
                assertEquals(h, f16(value), "f16 round trip of " + Integer.toHexString(h));
            }
        }
    }
}
