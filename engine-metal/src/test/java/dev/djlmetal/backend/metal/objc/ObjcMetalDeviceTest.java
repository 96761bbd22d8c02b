package dev.djlmetal.backend.metal.objc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.djlmetal.backend.BackendKind;
import dev.djlmetal.backend.BackendSettings;
import dev.djlmetal.backend.Backends;
import dev.djlmetal.backend.QuantizedMatmul;
import dev.djlmetal.backend.metal.AffineQmmKernels;
import dev.djlmetal.backend.metal.MetalQuantizedMatmul;
import dev.djlmetal.backend.metal.QmmCase;
import dev.djlmetal.quant.QuantSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The kernels on a real Apple GPU through the Objective-C device layer. Runs only on macOS on arm64
 * (skipped elsewhere, where {@code EmulatedKernelsTest} runs the same kernels on the CPU).
 */
@EnabledOnOs(value = OS.MAC, disabledReason = "Real Metal runs only on macOS (Apple Silicon)")
@EnabledIfSystemProperty(
        named = "os.arch",
        matches = "aarch64|arm64",
        disabledReason = "Real Metal runs only on Apple Silicon (arm64)")
class ObjcMetalDeviceTest {

    @Test
    void metalIsAvailableAndChosenByAuto() {
        assertTrue(
                Backends.isAvailable(BackendKind.METAL),
                Backends.provider(BackendKind.METAL).unavailableReason());
        assertEquals(BackendKind.METAL, Backends.resolve(BackendKind.AUTO, Device.cpu()));
    }

    @Test
    void everyKernelVariantMatchesTheReference() {
        QuantizedMatmul backend =
                Backends.create(BackendKind.METAL, Device.cpu(), BackendSettings.defaults());
        int decodeMax = MetalQuantizedMatmul.DEFAULT_DECODE_MAX_ROWS;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                for (int bits : QuantSpec.SUPPORTED_BITS) {
                    for (int groupSize : QuantSpec.SUPPORTED_GROUP_SIZES) {
                        new QmmCase(bits, groupSize, type, new Shape(1, groupSize), 19)
                                .check(backend, manager, bits * 7L + groupSize);
                        new QmmCase(
                                        bits,
                                        groupSize,
                                        type,
                                        new Shape(decodeMax + 1, 3 * groupSize),
                                        37)
                                .check(backend, manager, bits * 11L + groupSize);
                        new QmmCase(
                                        bits,
                                        groupSize,
                                        type,
                                        new Shape(AffineQmmKernels.TILE_M + 3, 2 * groupSize),
                                        AffineQmmKernels.TILE_N + 5)
                                .check(backend, manager, bits * 13L + groupSize);
                    }
                }
            }
        }
    }

    @Test
    void largeLayersMatchTheReference() {
        QuantizedMatmul backend =
                Backends.create(BackendKind.METAL, Device.cpu(), BackendSettings.defaults());
        try (NDManager manager = NDManager.newBaseManager()) {
            new QmmCase(4, 64, DataType.FLOAT16, new Shape(1, 2048), 1024)
                    .check(backend, manager, 1);
            new QmmCase(4, 64, DataType.FLOAT16, new Shape(100, 2048), 512)
                    .check(backend, manager, 2);
        }
    }
}
