package dev.djlmetal.engine;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineProvider;

/**
 * Registers the {@link MetalEngine} with DJL under the name {@value MetalEngine#ENGINE_NAME}.
 *
 * <p>Its rank is higher (that is, of lower priority) than PyTorch's, so PyTorch stays DJL's default
 * engine when both are on the classpath; select Metal with {@code
 * Criteria.Builder.optEngine("Metal")} or {@code -Dai.djl.default_engine=Metal}.
 */
public class MetalEngineProvider implements EngineProvider {

    private static volatile Engine engine;

    /** Creates the provider; DJL does so through {@link java.util.ServiceLoader}. */
    public MetalEngineProvider() {}

    /** {@inheritDoc} */
    @Override
    public String getEngineName() {
        return MetalEngine.ENGINE_NAME;
    }

    /** {@inheritDoc} */
    @Override
    public int getEngineRank() {
        return MetalEngine.RANK;
    }

    /** {@inheritDoc} */
    @Override
    public Engine getEngine() {
        if (engine == null) {
            synchronized (MetalEngineProvider.class) {
                if (engine == null) {
                    engine = MetalEngine.newInstance();
                }
            }
        }
        return engine;
    }
}
