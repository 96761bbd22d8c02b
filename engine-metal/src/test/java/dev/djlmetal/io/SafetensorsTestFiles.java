package dev.djlmetal.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Builds safetensors files byte by byte, independently of {@link SafetensorsWriter}. */
final class SafetensorsTestFiles {

    private SafetensorsTestFiles() {}

    /** Returns {@code u64 length + header bytes + data}, with the header length given verbatim. */
    static byte[] bytes(long headerLength, byte[] header, byte[] data) {
        ByteBuffer buffer =
                ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(headerLength).put(header).put(data);
        return buffer.array();
    }

    /** Returns a well-formed file: the header's real length, the header, then the data. */
    static byte[] bytes(String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return bytes(json.length, json, data);
    }

    /** Writes a file built by {@link #bytes(String, byte[])}. */
    static Path write(Path file, String header, byte[] data) throws IOException {
        return Files.write(file, bytes(header, data));
    }

    /** Returns little-endian float32 bytes. */
    static byte[] floats(float... values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            buffer.putFloat(value);
        }
        return buffer.array();
    }

    /** Returns the JSON entry of one tensor. */
    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\""
                + name
                + "\":{\"dtype\":\""
                + dtype
                + "\",\"shape\":"
                + shape
                + ",\"data_offsets\":["
                + begin
                + ","
                + end
                + "]}";
    }
}
