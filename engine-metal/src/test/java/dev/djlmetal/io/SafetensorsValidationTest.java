package dev.djlmetal.io;

import static dev.djlmetal.io.SafetensorsTestFiles.entry;
import static dev.djlmetal.io.SafetensorsTestFiles.floats;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupted files, built byte by byte: each must fail with a message naming file and tensor. */
class SafetensorsValidationTest {

    private static final byte[] EIGHT_FLOATS = floats(1, 2, 3, 4, 5, 6, 7, 8);

    @TempDir Path dir;

    private SafetensorsException rejects(byte[] content, String... fragments) throws IOException {
        Path file = Files.write(dir.resolve("bad.safetensors"), content);
        SafetensorsException e =
                assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(file).close());
        String message = e.getMessage();
        assertTrue(message.startsWith(file + ": "), "message must start with the file: " + message);
        for (String fragment : fragments) {
            assertTrue(message.contains(fragment), "'" + fragment + "' missing in: " + message);
        }
        return e;
    }

    private SafetensorsException rejects(String header, byte[] data, String... fragments)
            throws IOException {
        return rejects(SafetensorsTestFiles.bytes(header, data), fragments);
    }

    private static String header(String... entries) {
        return "{" + String.join(",", entries) + "}";
    }

    @Test
    void fileShorterThanLengthPrefix() throws IOException {
        rejects(new byte[] {1, 0, 0}, "3 bytes", "shorter than the 8-byte");
        rejects(new byte[0], "0 bytes");
    }

    @Test
    void headerLengthLargerThanFileOrAbsurd() throws IOException {
        byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
        rejects(
                SafetensorsTestFiles.bytes(500, json, new byte[0]),
                "header length 500",
                "10 bytes");
        rejects(SafetensorsTestFiles.bytes(200_000_000L, json, new byte[0]), "200000000", "limit");
        rejects(SafetensorsTestFiles.bytes(-1L, json, new byte[0]), "18446744073709551615");
    }

    @Test
    void headerNotJsonOrNotAnObject() throws IOException {
        rejects("{\"x\": {\"dtype\": ", new byte[0], "not valid JSON");
        rejects("[1, 2]", new byte[0], "must be a JSON object", "begin_array");
        rejects("", new byte[0], "not valid JSON");
        rejects(header(entry("x", "F32", "[1]", 0, 4)) + " {}", floats(1), "not valid JSON");
        byte[] badUtf8 = {'{', '"', (byte) 0xff, '"', ':', '1', '}'};
        rejects(SafetensorsTestFiles.bytes(badUtf8.length, badUtf8, new byte[0]), "UTF-8");
    }

    @Test
    void entriesMissingOrMalformedFields() throws IOException {
        rejects("{\"w\": 3}", new byte[0], "tensor 'w'", "must be an object");
        rejects(
                "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}",
                floats(1),
                "tensor 'w'",
                "missing field 'dtype'");
        rejects(
                "{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}",
                floats(1),
                "tensor 'w'",
                "missing field 'shape'");
        rejects(
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [1]}}",
                floats(1),
                "tensor 'w'",
                "missing field 'data_offsets'");
        rejects(header(entry("w", "F32", "[1.5]", 0, 4)), floats(1), "tensor 'w'", "shape");
        rejects(header(entry("w", "F32", "[\"2\"]", 0, 8)), floats(1, 2), "tensor 'w'", "integers");
        rejects(
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4]}}",
                floats(1),
                "tensor 'w'",
                "[begin, end]");
        rejects(
                "{\"w\": {\"dtype\": 7, \"shape\": [1], \"data_offsets\": [0, 4]}}",
                floats(1),
                "tensor 'w'",
                "dtype must be a string");
        rejects(
                header("\"__metadata__\": {\"k\": 1}", entry("w", "F32", "[1]", 0, 4)),
                floats(1),
                "__metadata__",
                "'k'");
        rejects(
                header(entry("w", "F32", "[1]", 0, 4), entry("w", "F32", "[1]", 4, 8)),
                floats(1, 2),
                "tensor 'w' twice");
    }

    @Test
    void unknownDtypesAreNamed() throws IOException {
        for (String dtype : Arrays.asList("F64", "U16", "I16", "F8_E4M3", "U64", "f32")) {
            rejects(
                    header(entry("w", dtype, "[2]", 0, 16)),
                    EIGHT_FLOATS,
                    "tensor 'w'",
                    "unsupported dtype '" + dtype + "'",
                    "BF16");
        }
    }

    @Test
    void negativeDimensions() throws IOException {
        rejects(
                header(entry("w", "F32", "[-2, 2]", 0, 16)),
                EIGHT_FLOATS,
                "tensor 'w'",
                "negative dimension");
    }

    @Test
    void byteSizeMustMatchShapeTimesDtype() throws IOException {
        rejects(
                header(entry("w", "F32", "[2, 3]", 0, 16)),
                EIGHT_FLOATS,
                "tensor 'w'",
                "hold 16 bytes",
                "needs 24 bytes");
        rejects(
                header(entry("w", "BF16", "[3]", 0, 8)),
                EIGHT_FLOATS,
                "tensor 'w'",
                "needs 6 bytes");
    }

    @Test
    void offsetsOutsideDataRegionOrReversed() throws IOException {
        rejects(
                header(entry("w", "F32", "[2]", 28, 36)),
                EIGHT_FLOATS,
                "tensor 'w'",
                "[28, 36]",
                "32 bytes");
        rejects(header(entry("w", "F32", "[0]", 8, 4)), EIGHT_FLOATS, "tensor 'w'", "begin <= end");
        rejects(header(entry("w", "F32", "[1]", -4, 0)), EIGHT_FLOATS, "tensor 'w'", "[-4, 0]");
    }

    @Test
    void overlappingTensors() throws IOException {
        rejects(
                header(entry("a", "F32", "[4]", 0, 16), entry("b", "F32", "[4]", 12, 28)),
                EIGHT_FLOATS,
                "'a' [0, 16]",
                "'b' [12, 28]",
                "overlap");
        rejects(
                header(entry("outer", "F32", "[8]", 0, 32), entry("inner", "F32", "[1]", 8, 12)),
                EIGHT_FLOATS,
                "'outer'",
                "'inner'",
                "overlap");
    }

    @Test
    void truncatedDataRegion() throws IOException {
        byte[] whole =
                SafetensorsTestFiles.bytes(
                        header(entry("a", "F32", "[4]", 0, 16), entry("b", "F32", "[4]", 16, 32)),
                        EIGHT_FLOATS);
        rejects(Arrays.copyOf(whole, whole.length - 3), "tensor 'b'", "29 bytes", "truncated");
    }

    @Test
    void headerOnlyFileCutShort() throws IOException {
        byte[] whole =
                SafetensorsTestFiles.bytes(
                        header(entry("a", "F32", "[4]", 0, 16)), floats(1, 2, 3, 4));
        rejects(Arrays.copyOf(whole, 20), "runs past the end of the file", "20 bytes");
    }

    @Test
    void validFileWithGapsAndZeroSizedTensorsIsAccepted() throws IOException {
        Path file =
                SafetensorsTestFiles.write(
                        dir.resolve("ok.safetensors"),
                        header(
                                entry("a", "F32", "[2]", 0, 8),
                                entry("e", "F32", "[0]", 4, 4),
                                entry("b", "F32", "[2]", 16, 24)),
                        EIGHT_FLOATS);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    new float[] {5, 6}, st.toFloatArray("b"));
        }
    }
}
