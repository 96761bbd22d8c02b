package dev.djlmetal.io;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The safetensors element types this package reads and writes, with their size and the DJL data
 * type each loads as.
 *
 * <p>The constant names are the dtype strings of the safetensors header. DJL's PyTorch engine
 * cannot hold UINT32 or BFLOAT16 arrays, so {@link #U32} loads as {@link DataType#INT32} with the
 * same bits and {@link #BF16} loads as {@link DataType#FLOAT32} (or {@link DataType#FLOAT16} on
 * request).
 */
public enum SafetensorsDType {
    /** IEEE 754 binary32. */
    F32(4, DataType.FLOAT32),
    /** IEEE 754 binary16. */
    F16(2, DataType.FLOAT16),
    /** bfloat16; loads as FLOAT32 (exact) or FLOAT16 (rounded). */
    BF16(2, DataType.FLOAT32),
    /** Unsigned 32-bit integer; loads as INT32 holding the same bit pattern. */
    U32(4, DataType.INT32),
    /** Signed 32-bit integer. */
    I32(4, DataType.INT32),
    /** Signed 64-bit integer. */
    I64(8, DataType.INT64),
    /** Unsigned 8-bit integer. */
    U8(1, DataType.UINT8),
    /** Signed 8-bit integer. */
    I8(1, DataType.INT8),
    /** Boolean, one byte per element (0 or 1). */
    BOOL(1, DataType.BOOLEAN);

    private final int byteSize;
    private final DataType dataType;

    SafetensorsDType(int byteSize, DataType dataType) {
        this.byteSize = byteSize;
        this.dataType = dataType;
    }

    /**
     * Returns the number of bytes one element occupies in the file.
     *
     * @return bytes per element
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Returns the DJL data type this dtype loads as by default.
     *
     * @return the DJL data type ({@code INT32} for U32, {@code FLOAT32} for BF16)
     */
    public DataType dataType() {
        return dataType;
    }

    /**
     * Returns whether this is a floating-point dtype (F32, F16 or BF16).
     *
     * @return true for float dtypes
     */
    public boolean isFloatingPoint() {
        return this == F32 || this == F16 || this == BF16;
    }

    /**
     * Returns the dtype named by a header string.
     *
     * @param name the dtype string, for example {@code "BF16"}
     * @return the dtype
     * @throws IllegalArgumentException naming the value and the supported dtypes when it is unknown
     */
    public static SafetensorsDType fromName(String name) {
        for (SafetensorsDType dtype : values()) {
            if (dtype.name().equals(name)) {
                return dtype;
            }
        }
        throw new IllegalArgumentException(
                "unsupported dtype '" + name + "'; supported dtypes: " + supportedNames());
    }

    /**
     * Returns the dtype that stores a DJL data type unchanged.
     *
     * @param dataType FLOAT32, FLOAT16, INT32, INT64, UINT8, INT8 or BOOLEAN
     * @return the matching dtype
     * @throws IllegalArgumentException naming the data type when no dtype stores it
     */
    public static SafetensorsDType of(DataType dataType) {
        switch (dataType) {
            case FLOAT32:
                return F32;
            case FLOAT16:
                return F16;
            case INT32:
                return I32;
            case INT64:
                return I64;
            case UINT8:
                return U8;
            case INT8:
                return I8;
            case BOOLEAN:
                return BOOL;
            default:
                throw new IllegalArgumentException(
                        "no safetensors dtype for DJL data type "
                                + dataType.name()
                                + "; supported: FLOAT32, FLOAT16, INT32, INT64, UINT8, INT8,"
                                + " BOOLEAN");
        }
    }

    static String supportedNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
