package dev.djlmetal.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The parsed and validated header of one safetensors file. */
final class SafetensorsHeader {

    /** The largest header accepted, as in the reference implementation. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final String METADATA_KEY = "__metadata__";

    private static final TypeAdapter<JsonElement> JSON = new Gson().getAdapter(JsonElement.class);

    private final long dataStart;
    private final long dataSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsHeader(
            long dataStart,
            long dataSize,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.dataStart = dataStart;
        this.dataSize = dataSize;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Returns the absolute file offset of the data region. */
    long dataStart() {
        return dataStart;
    }

    /** Returns the number of bytes from the data region start to the end of the file. */
    long dataSize() {
        return dataSize;
    }

    /** Returns the tensors by name, sorted by name. */
    Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** Returns the {@code __metadata__} entries, in file order. */
    Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Reads and validates the header of a safetensors file.
     *
     * @param file the path, for messages
     * @param channel the open file
     * @return the header
     * @throws SafetensorsException when the header or the file layout is invalid
     * @throws IOException when reading fails
     */
    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new SafetensorsException(
                    file,
                    "file is "
                            + fileSize
                            + " bytes, shorter than the 8-byte header length that starts a"
                            + " safetensors file");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, channel, lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsException(
                    file,
                    "header length "
                            + Long.toUnsignedString(headerLength)
                            + " exceeds the limit of "
                            + MAX_HEADER_BYTES
                            + " bytes (not a safetensors file?)");
        }
        if (headerLength > fileSize - 8) {
            throw new SafetensorsException(
                    file,
                    "header length "
                            + headerLength
                            + " runs past the end of the file ("
                            + fileSize
                            + " bytes; truncated?)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(file, channel, headerBytes, 8);
        headerBytes.flip();
        String json = decodeUtf8(file, headerBytes);
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;
        Map<String, TensorInfo> tensors = new TreeMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        parse(file, json, dataSize, tensors, metadata);
        checkOverlaps(file, tensors);
        return new SafetensorsHeader(dataStart, dataSize, tensors, metadata);
    }

    private static void readFully(Path file, FileChannel channel, ByteBuffer dst, long position)
            throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, at);
            if (n < 0) {
                throw new SafetensorsException(file, "unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    private static String decodeUtf8(Path file, ByteBuffer bytes) throws SafetensorsException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "header is not valid UTF-8", e);
        }
    }

    private static void parse(
            Path file,
            String json,
            long dataSize,
            Map<String, TensorInfo> tensors,
            Map<String, String> metadata)
            throws SafetensorsException {
        try (JsonReader reader = new JsonReader(new StringReader(json))) {
            reader.setStrictness(Strictness.STRICT);
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw new SafetensorsException(
                        file, "header must be a JSON object, found " + describe(reader.peek()));
            }
            reader.beginObject();
            boolean sawMetadata = false;
            while (reader.hasNext()) {
                String key = reader.nextName();
                JsonElement value = JSON.read(reader);
                if (METADATA_KEY.equals(key)) {
                    if (sawMetadata) {
                        throw new SafetensorsException(file, "header repeats " + METADATA_KEY);
                    }
                    sawMetadata = true;
                    parseMetadata(file, value, metadata);
                } else {
                    if (tensors.containsKey(key)) {
                        throw new SafetensorsException(
                                file, "header lists tensor '" + key + "' twice");
                    }
                    tensors.put(key, parseTensor(file, key, value, dataSize));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new SafetensorsException(
                        file, "header has data after its JSON object: " + describe(reader.peek()));
            }
        } catch (SafetensorsException e) {
            throw e;
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new SafetensorsException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String describe(JsonToken token) {
        return token == JsonToken.END_DOCUMENT ? "nothing" : token.name().toLowerCase(Locale.ROOT);
    }

    private static void parseMetadata(Path file, JsonElement value, Map<String, String> metadata)
            throws SafetensorsException {
        if (!value.isJsonObject()) {
            throw new SafetensorsException(
                    file, METADATA_KEY + " must be an object of strings, found " + value);
        }
        for (Map.Entry<String, JsonElement> entry : value.getAsJsonObject().entrySet()) {
            JsonElement v = entry.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new SafetensorsException(
                        file,
                        METADATA_KEY
                                + " entry '"
                                + entry.getKey()
                                + "' must be a string, found "
                                + v);
            }
            metadata.put(entry.getKey(), v.getAsString());
        }
    }

    private static TensorInfo parseTensor(Path file, String name, JsonElement value, long dataSize)
            throws SafetensorsException {
        String where = "tensor '" + name + "': ";
        if (!value.isJsonObject()) {
            throw new SafetensorsException(
                    file,
                    where
                            + "entry must be an object with dtype, shape and data_offsets, found "
                            + value);
        }
        JsonObject entry = value.getAsJsonObject();
        JsonElement dtypeJson = field(file, where, entry, "dtype");
        if (!dtypeJson.isJsonPrimitive() || !dtypeJson.getAsJsonPrimitive().isString()) {
            throw new SafetensorsException(
                    file, where + "dtype must be a string, found " + dtypeJson);
        }
        SafetensorsDType dtype;
        try {
            dtype = SafetensorsDType.fromName(dtypeJson.getAsString());
        } catch (IllegalArgumentException e) {
            throw new SafetensorsException(file, where + e.getMessage(), e);
        }
        long[] dims = longs(file, where, "shape", field(file, where, entry, "shape"));
        for (long dim : dims) {
            if (dim < 0) {
                throw new SafetensorsException(
                        file,
                        where + "shape " + Arrays.toString(dims) + " has a negative dimension");
            }
        }
        JsonElement offsetsJson = field(file, where, entry, "data_offsets");
        long[] offsets = longs(file, where, "data_offsets", offsetsJson);
        if (offsets.length != 2) {
            throw new SafetensorsException(
                    file,
                    where + "data_offsets must be [begin, end], found " + Arrays.toString(offsets));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || end < begin) {
            throw new SafetensorsException(
                    file,
                    where
                            + "data_offsets ["
                            + begin
                            + ", "
                            + end
                            + "] must satisfy 0 <= begin <= end");
        }
        TensorInfo info;
        try {
            info = new TensorInfo(name, dtype, dims, begin, end);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            throw new SafetensorsException(
                    file, message.startsWith("tensor '") ? message : where + message, e);
        }
        if (end > dataSize) {
            throw new SafetensorsException(
                    file,
                    where
                            + "data_offsets ["
                            + begin
                            + ", "
                            + end
                            + "] run past the end of the data region, which holds "
                            + dataSize
                            + " bytes (file truncated?)");
        }
        return info;
    }

    private static JsonElement field(Path file, String where, JsonObject entry, String key)
            throws SafetensorsException {
        JsonElement value = entry.get(key);
        if (value == null) {
            throw new SafetensorsException(file, where + "missing field '" + key + "'");
        }
        return value;
    }

    private static long[] longs(Path file, String where, String key, JsonElement value)
            throws SafetensorsException {
        if (!value.isJsonArray()) {
            throw new SafetensorsException(
                    file, where + key + " must be an array of integers, found " + value);
        }
        JsonArray array = value.getAsJsonArray();
        long[] result = new long[array.size()];
        for (int i = 0; i < result.length; i++) {
            JsonElement element = array.get(i);
            try {
                JsonPrimitive primitive = element.getAsJsonPrimitive();
                if (!primitive.isNumber()) {
                    throw new ArithmeticException("not a number");
                }
                result[i] = new BigDecimal(primitive.getAsString()).longValueExact();
            } catch (ArithmeticException | IllegalStateException | NumberFormatException e) {
                throw new SafetensorsException(
                        file, where + key + " must be an array of integers, found " + value, e);
            }
        }
        return result;
    }

    private static void checkOverlaps(Path file, Map<String, TensorInfo> tensors)
            throws SafetensorsException {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo info : tensors.values()) {
            if (info.byteSize() > 0) {
                sorted.add(info);
            }
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        TensorInfo reach = null;
        for (TensorInfo info : sorted) {
            if (reach != null && info.begin() < reach.end()) {
                throw new SafetensorsException(
                        file,
                        "tensors '"
                                + reach.name()
                                + "' ["
                                + reach.begin()
                                + ", "
                                + reach.end()
                                + "] and '"
                                + info.name()
                                + "' ["
                                + info.begin()
                                + ", "
                                + info.end()
                                + "] overlap");
            }
            if (reach == null || info.end() > reach.end()) {
                reach = info;
            }
        }
    }
}
