package dev.djlmetal.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtEngineProvider;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class MetalEngineTest {

    private static final String DEFAULT_ENGINE_PROPERTY = "ai.djl.default_engine";
    private static final String PT_MANAGER = "ai.djl.pytorch.engine.PtNDManager";

    private static MetalEngine metal() {
        return (MetalEngine) Engine.getEngine("Metal");
    }

    @Test
    void engineIsFoundByName() {
        assertTrue(Engine.getAllEngines().contains("Metal"));
        assertTrue(Engine.getAllEngines().contains("PyTorch"));
        Engine engine = Engine.getEngine("Metal");
        assertInstanceOf(MetalEngine.class, engine);
        assertEquals("Metal", engine.getEngineName());
        assertSame(engine, Engine.getEngine("Metal"));
    }

    @Test
    void pyTorchStaysDefaultWithoutTheProperty() {
        Assumptions.assumeTrue(System.getenv("DJL_DEFAULT_ENGINE") == null);
        Assumptions.assumeTrue(System.getProperty(DEFAULT_ENGINE_PROPERTY) == null);
        int metalRank = new MetalEngineProvider().getEngineRank();
        assertTrue(metalRank > new PtEngineProvider().getEngineRank());
        assertEquals("PyTorch", Engine.getDefaultEngineName());
        assertEquals("PyTorch", Engine.getInstance().getEngineName());
    }

    @Test
    void defaultEnginePropertySelectsMetal() {
        // DJL reads the property on every call; the registry must be initialised before setting it.
        assertTrue(Engine.hasEngine("Metal"));
        String previous = System.getProperty(DEFAULT_ENGINE_PROPERTY);
        System.setProperty(DEFAULT_ENGINE_PROPERTY, "Metal");
        try {
            assertEquals("Metal", Engine.getDefaultEngineName());
            assertInstanceOf(MetalEngine.class, Engine.getInstance());
        } finally {
            if (previous == null) {
                System.clearProperty(DEFAULT_ENGINE_PROPERTY);
            } else {
                System.setProperty(DEFAULT_ENGINE_PROPERTY, previous);
            }
        }
    }

    @Test
    void alternativeEngineIsPyTorch() {
        Engine alternative = metal().getAlternativeEngine();
        assertEquals("PyTorch", alternative.getEngineName());
        assertSame(Engine.getEngine("PyTorch"), alternative);
    }

    @Test
    void managersArePyTorchManagersAndComputeArrays() {
        try (NDManager manager = metal().newBaseManager()) {
            assertEquals(PT_MANAGER, manager.getClass().getName());
            assertEquals("PyTorch", manager.getEngine().getEngineName());
            NDArray x = manager.create(new float[] {1f, 2f, 3f, 4f}, new Shape(2, 2));
            NDArray y = x.mul(2).add(1).matMul(x);
            // [[3, 5], [7, 9]] @ [[1, 2], [3, 4]] computed by hand
            assertArrayEquals(new float[] {18f, 26f, 34f, 50f}, y.toFloatArray());
        }
        try (NDManager manager = metal().newBaseManager(Device.cpu())) {
            assertEquals(PT_MANAGER, manager.getClass().getName());
            assertEquals(Device.cpu(), manager.getDevice());
        }
    }

    @Test
    void devicesAndCapabilitiesComeFromPyTorch() {
        MetalEngine metal = metal();
        Engine pytorch = Engine.getEngine("PyTorch");
        assertEquals(pytorch.defaultDevice(), metal.defaultDevice());
        assertEquals(pytorch.getGpuCount(), metal.getGpuCount());
        assertArrayEquals(pytorch.getDevices(), metal.getDevices());
        assertEquals(
                pytorch.hasCapability(StandardCapabilities.MKL),
                metal.hasCapability(StandardCapabilities.MKL));
        assertEquals(
                pytorch.hasCapability(StandardCapabilities.CUDA),
                metal.hasCapability(StandardCapabilities.CUDA));
        assertEquals(
                metal.getCapabilities().isNativeMetalAvailable(),
                metal.hasCapability(MetalEngine.METAL_CAPABILITY));
        if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("mac")) {
            assertFalse(metal.hasCapability(MetalEngine.METAL_CAPABILITY));
        }
    }

    @Test
    void randomSeedReachesPyTorch() {
        MetalEngine metal = metal();
        try (NDManager manager = metal.newBaseManager()) {
            metal.setRandomSeed(1234);
            float[] first = manager.randomUniform(0f, 1f, new Shape(8)).toFloatArray();
            metal.setRandomSeed(1234);
            float[] second = manager.randomUniform(0f, 1f, new Shape(8)).toFloatArray();
            assertArrayEquals(first, second);
            assertEquals(1234, metal.getSeed());
        }
    }

    @Test
    void newModelIsMetalModelOnTheDevice() {
        try (Model model = metal().newModel("tiny", Device.cpu())) {
            MetalModel metalModel = assertInstanceOf(MetalModel.class, model);
            assertEquals("tiny", model.getName());
            assertEquals(Device.cpu(), metalModel.getDevice());
            assertEquals(PT_MANAGER, model.getNDManager().getClass().getName());
            assertEquals(Device.cpu(), model.getNDManager().getDevice());
            assertNull(metalModel.getConfig());
        }
        try (Model model = metal().newModel("default", null)) {
            assertEquals(metal().defaultDevice(), ((MetalModel) model).getDevice());
        }
        try (Model model = Model.newInstance("byName", Device.cpu(), "Metal")) {
            assertInstanceOf(MetalModel.class, model);
        }
    }

    @Test
    void versionIsTheProjectVersion() {
        String version = metal().getVersion();
        assertTrue(version.matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), version);
        assertTrue(metal().toString().startsWith("Metal:" + version), metal().toString());
    }
}
