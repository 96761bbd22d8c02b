package dev.djlmetal.it;

import ai.djl.repository.zoo.Criteria;
import com.google.gson.JsonObject;
import dev.djlmetal.engine.loading.CheckpointFormat;
import dev.djlmetal.io.SafetensorsDType;
import dev.djlmetal.zoo.decoder.DecoderConfig;
import dev.djlmetal.zoo.generate.TinyLlamaDirs;
import dev.djlmetal.zoo.testing.TinyCheckpoints;
import dev.djlmetal.zoo.testing.TinyWeights;
import java.io.IOException;
import java.nio.file.Path;

/** Writes the checkpoints a user would download, and builds criteria the way a user does. */
final class Checkpoints {

    static final int VOCAB = 96;

    private Checkpoints() {}

    /** Whether this run selects the engine by {@code ai.djl.default_engine} only. */
    static boolean defaultEngineRun() {
        return "Metal".equals(System.getProperty("ai.djl.default_engine"));
    }

    static <I, O> Criteria.Builder<I, O> criteria(Class<I> in, Class<O> out, Path dir) {
        Criteria.Builder<I, O> builder = Criteria.builder().setTypes(in, out).optModelPath(dir);
        return defaultEngineRun() ? builder : builder.optEngine("Metal");
    }

    static TinyWeights weights(long seed) {
        return TinyCheckpoints.randomWeights(
                DecoderConfig.fromJson(TinyCheckpoints.llamaConfigJson()), seed);
    }

    static void writeFloat(Path dir, TinyWeights weights) throws IOException {
        TinyCheckpoints.floatTensors(weights)
                .writeTo(
                        dir,
                        TinyCheckpoints.llamaConfigJson(),
                        SafetensorsDType.F32,
                        Long.MAX_VALUE);
        TinyLlamaDirs.writeTokenizer(dir, VOCAB);
    }

    /** Writes a pre-quantized checkpoint and returns the float weights it stands for. */
    static TinyWeights writeQuantized(
            Path dir, TinyWeights weights, CheckpointFormat format, int bits, int groupSize)
            throws IOException {
        JsonObject json = TinyCheckpoints.llamaConfigJson();
        TinyCheckpoints.QuantizedFixture fixture =
                TinyCheckpoints.quantized(json, weights, format, bits, groupSize);
        fixture.tensors.writeTo(dir, fixture.config, SafetensorsDType.F32, Long.MAX_VALUE);
        TinyLlamaDirs.writeTokenizer(dir, VOCAB);
        return fixture.dequantized;
    }
}
