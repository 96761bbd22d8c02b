package dev.djlmetal.io;

import static dev.djlmetal.io.SafetensorsTestFiles.entry;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file over 2 GB whose last tensor lies beyond byte 2^31 of the data region.
 *
 * <p>The file is sparse ({@link RandomAccessFile#setLength}): only the header and the small tensor
 * are written, so the test needs a file system with sparse-file support but almost no disk space.
 */
class SafetensorsLargeFileTest {

    @TempDir Path dir;

    @Test
    void tensorsBeyondTwoGigabytesAreReadable() throws IOException {
        long bigBytes = (1L << 31) + 16;
        String header =
                "{"
                        + entry("big", "U8", "[" + bigBytes + "]", 0, bigBytes)
                        + ","
                        + entry("small", "F32", "[2, 2]", bigBytes, bigBytes + 16)
                        + "}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        long dataStart = 8 + json.length;
        Path file = dir.resolve("large.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + bigBytes + 16);
            ByteBuffer prefix = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(json.length).put(json);
            raf.write(prefix.array());
            raf.seek(dataStart + bigBytes);
            raf.write(SafetensorsTestFiles.floats(1.5f, -2f, 3.25f, 1e-3f));
        }
        try (SafetensorsFile st = SafetensorsFile.open(file);
                NDManager manager = NDManager.newBaseManager()) {
            assertEquals(bigBytes, st.info("big").byteSize());
            assertEquals(bigBytes, st.info("small").begin());
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 1e-3f}, st.toFloatArray("small"));
            assertEquals(-2f, st.buffer("small").getFloat(4));
            assertArrayEquals(
                    new float[] {1.5f, -2f, 3.25f, 1e-3f},
                    st.toNDArray(manager, "small").toFloatArray());

            SafetensorsException tooBig =
                    assertThrows(SafetensorsException.class, () -> st.buffer("big"));
            assertTrue(tooBig.getMessage().startsWith(file + ": tensor 'big'"));
            assertTrue(tooBig.getMessage().contains(Long.toString(bigBytes)));
            SafetensorsException tooBigArray =
                    assertThrows(SafetensorsException.class, () -> st.toNDArray(manager, "big"));
            assertTrue(tooBigArray.getMessage().contains("'big'"));
        }
    }
}
