package dev.djlmetal.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    private static final DataType FLOAT16 = DataType.FLOAT16;

    private static NDManager manager;

    @TempDir Path dir;

    @BeforeAll
    static void createManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }

    @Test
    void everyDtypeRoundTripsFromNDArrays() throws IOException {
        float[] f32 = {1.5f, -2.25f, 0f, Float.MAX_VALUE, -0x1p-126f, 3.0e-5f};
        int[] i32 = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE, 12345};
        long[] i64 = {Long.MIN_VALUE, -1L, 0L, 1L << 40, Long.MAX_VALUE, 7L};
        byte[] u8 = {0, 1, 127, (byte) 128, (byte) 200, (byte) 255};
        byte[] i8 = {Byte.MIN_VALUE, -1, 0, 1, 100, Byte.MAX_VALUE};
        boolean[] bool = {true, false, false, true, true, false};
        float[] f16Exact = {1.0f, -0.5f, 65504f, 0x1p-24f, 0.099975586f, 0f};
        Path file = dir.resolve("all.safetensors");
        try (NDManager local = manager.newSubManager()) {
            new SafetensorsWriter()
                    .add("f32", local.create(f32, new Shape(2, 3)))
                    .add("f16", local.create(f16Exact, new Shape(3, 2)).toType(FLOAT16, false))
                    .add("i32", local.create(i32, new Shape(6)))
                    .add("i64", local.create(i64, new Shape(1, 6)))
                    .add("u8", local.create(ByteBuffer.wrap(u8), new Shape(6), DataType.UINT8))
                    .add("i8", local.create(i8, new Shape(6)))
                    .add("bool", local.create(bool, new Shape(2, 3)))
                    .write(file);
        }
        try (SafetensorsFile st = SafetensorsFile.open(file);
                NDManager local = manager.newSubManager()) {
            assertEquals(
                    List.of("bool", "f16", "f32", "i32", "i64", "i8", "u8"),
                    List.copyOf(st.names()));
            assertEquals(SafetensorsDType.F16, st.info("f16").dtype());
            assertEquals(SafetensorsDType.U8, st.info("u8").dtype());
            assertEquals(SafetensorsDType.BOOL, st.info("bool").dtype());
            assertArrayEquals(new long[] {2, 3}, st.info("f32").dims());
            assertArrayEquals(new long[] {1, 6}, st.info("i64").dims());

            assertArrayEquals(f32, st.toFloatArray("f32"));
            assertArrayEquals(f16Exact, st.toFloatArray("f16"));
            assertArrayEquals(i32, st.toIntArray("i32"));
            assertArrayEquals(i64, st.toLongArray("i64"));

            NDArray f32Array = st.toNDArray(local, "f32");
            assertEquals(DataType.FLOAT32, f32Array.getDataType());
            assertEquals(new Shape(2, 3), f32Array.getShape());
            assertEquals("f32", f32Array.getName());
            assertArrayEquals(f32, f32Array.toFloatArray());
            NDArray f16Array = st.toNDArray(local, "f16");
            assertEquals(DataType.FLOAT16, f16Array.getDataType());
            assertArrayEquals(f16Exact, f16Array.toType(DataType.FLOAT32, false).toFloatArray());
            assertArrayEquals(i32, st.toNDArray(local, "i32").toIntArray());
            assertArrayEquals(i64, st.toNDArray(local, "i64").toLongArray());
            NDArray u8Array = st.toNDArray(local, "u8");
            assertEquals(DataType.UINT8, u8Array.getDataType());
            assertArrayEquals(new int[] {0, 1, 127, 128, 200, 255}, u8Array.toUint8Array());
            assertArrayEquals(i8, st.toNDArray(local, "i8").toByteArray());
            NDArray boolArray = st.toNDArray(local, "bool");
            assertEquals(DataType.BOOLEAN, boolArray.getDataType());
            assertArrayEquals(bool, boolArray.toBooleanArray());

            ByteBuffer raw = st.buffer("i32");
            assertTrue(raw.isReadOnly());
            assertEquals(ByteOrder.LITTLE_ENDIAN, raw.order());
            assertEquals(24, raw.remaining());
            assertEquals(Integer.MIN_VALUE, raw.getInt(0));
            assertEquals(12345, raw.getInt(20));
        }
    }

    @Test
    void headerIsPaddedAndTensorsAligned() throws IOException {
        Path file = dir.resolve("aligned.safetensors");
        new SafetensorsWriter()
                .addRaw("a_byte", SafetensorsDType.U8, new long[] {3}, ByteBuffer.allocate(3))
                .addRaw("b_long", SafetensorsDType.I64, new long[] {1}, ByteBuffer.allocate(8))
                .addRaw("c_half", SafetensorsDType.F16, new long[] {1}, ByteBuffer.allocate(2))
                .addRaw("d_int", SafetensorsDType.U32, new long[] {1}, ByteBuffer.allocate(4))
                .write(file);
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header length must be a multiple of 8");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        assertTrue(header.stripTrailing().endsWith("}"));
        assertTrue(header.substring(header.stripTrailing().length()).isBlank());
        assertEquals(8 + headerLength + 17, bytes.length);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(8 + headerLength, st.dataOffset());
            for (String name : st.names()) {
                TensorInfo info = st.info(name);
                assertEquals(0, info.begin() % info.dtype().byteSize(), name + " misaligned");
            }
            assertEquals(0, st.info("b_long").begin());
        }
    }

    @Test
    void u32KeepsBitsAtAndAbove2To31() throws IOException {
        int[] bits = {0, 1, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff};
        Path file = dir.resolve("u32.safetensors");
        try (NDManager local = manager.newSubManager()) {
            new SafetensorsWriter()
                    .add("packed", local.create(bits, new Shape(2, 3)), SafetensorsDType.U32)
                    .write(file);
        }
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer tail =
                ByteBuffer.wrap(bytes, bytes.length - 24, 24).order(ByteOrder.LITTLE_ENDIAN);
        for (int bit : bits) {
            assertEquals(bit, tail.getInt(), "stored little-endian bits");
        }
        try (SafetensorsFile st = SafetensorsFile.open(file);
                NDManager local = manager.newSubManager()) {
            assertEquals(SafetensorsDType.U32, st.info("packed").dtype());
            assertArrayEquals(bits, st.toIntArray("packed"));
            NDArray array = st.toNDArray(local, "packed");
            assertEquals(DataType.INT32, array.getDataType());
            assertEquals(new Shape(2, 3), array.getShape());
            assertArrayEquals(bits, array.toIntArray());
        }
    }

    @Test
    void bf16WriteRoundsHalfwayToEvenAndReadsBack() throws IOException {
        float[] values = {
            1.0f,
            Float.intBitsToFloat(0x3f808000), // halfway, rounds down to even 0x3f80
            Float.intBitsToFloat(0x3f818000), // halfway, rounds up to even 0x3f82
            Float.intBitsToFloat(0x3f808001), // above halfway, 0x3f81
            -2.0f,
            (float) Math.PI // 0x4049
        };
        int[] expected = {0x3f80, 0x3f80, 0x3f82, 0x3f81, 0xc000, 0x4049};
        Path file = dir.resolve("bf16.safetensors");
        try (NDManager local = manager.newSubManager()) {
            new SafetensorsWriter()
                    .add("scales", local.create(values, new Shape(3, 2)), SafetensorsDType.BF16)
                    .add("halves", local.create(values), SafetensorsDType.F16)
                    .write(file);
        }
        try (SafetensorsFile st = SafetensorsFile.open(file);
                NDManager local = manager.newSubManager()) {
            ByteBuffer raw = st.buffer("scales");
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], raw.getShort(2 * i) & 0xffff, "bf16 bits " + i);
            }
            float[] widened = new float[expected.length];
            for (int i = 0; i < expected.length; i++) {
                widened[i] = Float.intBitsToFloat(expected[i] << 16);
            }
            assertArrayEquals(widened, st.toFloatArray("scales"));
            NDArray asF32 = st.toNDArray(local, "scales");
            assertEquals(DataType.FLOAT32, asF32.getDataType());
            assertEquals(new Shape(3, 2), asF32.getShape());
            assertArrayEquals(widened, asF32.toFloatArray());
            NDArray asF16 = st.toNDArray(local, "scales", DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, asF16.getDataType());
            // every widened value above is exactly representable in half precision
            assertArrayEquals(widened, asF16.toType(DataType.FLOAT32, false).toFloatArray());

            ByteBuffer halves = st.buffer("halves");
            assertEquals(0x3c00, halves.getShort(0) & 0xffff);
            assertEquals(0xc000, halves.getShort(8) & 0xffff);
            assertEquals(0x4248, halves.getShort(10) & 0xffff, "pi as f16");
            NDArray halvesAsF32 = st.toNDArray(local, "halves", DataType.FLOAT32);
            assertEquals(DataType.FLOAT32, halvesAsF32.getDataType());
            assertEquals(3.140625f, halvesAsF32.toFloatArray()[5]);
        }
    }

    @Test
    void f32LoadsAsF16OnRequestAndIntegersIgnoreFloatType() throws IOException {
        Path file = dir.resolve("mixed.safetensors");
        ByteBuffer ints = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ints.putInt(7).putInt(-9).flip();
        new SafetensorsWriter()
                .addRaw(
                        "w",
                        SafetensorsDType.F32,
                        new long[] {2},
                        ByteBuffer.wrap(SafetensorsTestFiles.floats(0.1f, 65520f)))
                .addRaw("idx", SafetensorsDType.I32, new long[] {2}, ints)
                .write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file);
                NDManager local = manager.newSubManager()) {
            NDArray half = st.toNDArray(local, "w", DataType.FLOAT16);
            assertEquals(DataType.FLOAT16, half.getDataType());
            float[] back = half.toType(DataType.FLOAT32, false).toFloatArray();
            assertEquals(HalfPrecision.f16ToFloat((short) 0x2e66), back[0]);
            assertEquals(Float.POSITIVE_INFINITY, back[1]);
            NDArray idx = st.toNDArray(local, "idx", DataType.FLOAT16);
            assertEquals(DataType.INT32, idx.getDataType());
            assertArrayEquals(new int[] {7, -9}, idx.toIntArray());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> st.toNDArray(local, "w", DataType.FLOAT64));
        }
    }

    @Test
    void scalarsEmptyTensorsAndMetadataRoundTrip() throws IOException {
        Path file = dir.resolve("meta.safetensors");
        new SafetensorsWriter()
                .addRaw(
                        "scalar",
                        SafetensorsDType.F32,
                        new long[0],
                        ByteBuffer.wrap(SafetensorsTestFiles.floats(42.5f)))
                .addRaw("empty", SafetensorsDType.BF16, new long[] {0, 4}, ByteBuffer.allocate(0))
                .optMetadata("format", "pt")
                .optMetadata("note", "<quoted \"text\" & ünïcode>")
                .write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file);
                NDManager local = manager.newSubManager()) {
            assertEquals(
                    Map.of("format", "pt", "note", "<quoted \"text\" & ünïcode>"), st.metadata());
            assertEquals(1, st.info("scalar").elementCount());
            assertArrayEquals(new float[] {42.5f}, st.toFloatArray("scalar"));
            NDArray scalar = st.toNDArray(local, "scalar");
            assertEquals(new Shape(), scalar.getShape());
            assertEquals(42.5f, scalar.getFloat());
            assertEquals(0, st.info("empty").elementCount());
            assertEquals(0, st.buffer("empty").remaining());
            assertEquals(0, st.toFloatArray("empty").length);
            assertEquals(new Shape(0, 4), st.toNDArray(local, "empty").getShape());
        }
    }

    @Test
    void readerAcceptsHandBuiltFileAndRejectsWrongAccessors() throws IOException {
        String header = "{" + SafetensorsTestFiles.entry("x", "F32", "[2]", 0, 8) + "}";
        Path file =
                SafetensorsTestFiles.write(
                        dir.resolve("hand.safetensors"),
                        header,
                        SafetensorsTestFiles.floats(3f, -4f));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertTrue(st.metadata().isEmpty());
            assertArrayEquals(new float[] {3f, -4f}, st.toFloatArray("x"));
            SafetensorsException wrongType =
                    assertThrows(SafetensorsException.class, () -> st.toIntArray("x"));
            assertTrue(wrongType.getMessage().startsWith(file.toString()));
            assertTrue(wrongType.getMessage().contains("'x'"));
            IllegalArgumentException missing =
                    assertThrows(IllegalArgumentException.class, () -> st.info("y"));
            assertTrue(missing.getMessage().contains("'y'"));
        }
        SafetensorsFile closed = SafetensorsFile.open(file);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.buffer("x"));
    }

    @Test
    void writerRejectsBadInput() {
        try (NDManager local = manager.newSubManager()) {
            NDArray doubles = local.create(new double[] {1, 2});
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> new SafetensorsWriter().add("d", doubles));
            assertTrue(e.getMessage().contains("'d'") && e.getMessage().contains("FLOAT64"));
            NDArray ints = local.create(new int[] {1, 2});
            assertThrows(
                    IllegalArgumentException.class,
                    () -> new SafetensorsWriter().add("i", ints, SafetensorsDType.BF16));
            SafetensorsWriter writer = new SafetensorsWriter().add("i", ints);
            assertThrows(IllegalArgumentException.class, () -> writer.add("i", ints));
            assertThrows(IllegalArgumentException.class, () -> writer.add("__metadata__", ints));
            assertThrows(
                    IllegalArgumentException.class,
                    () ->
                            writer.addRaw(
                                    "short",
                                    SafetensorsDType.F32,
                                    new long[] {3},
                                    ByteBuffer.allocate(8)));
        }
    }
}
