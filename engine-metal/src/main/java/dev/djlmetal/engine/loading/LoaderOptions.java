package dev.djlmetal.engine.loading;

import dev.djlmetal.quant.MetalConfig;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The option names a Metal model accepts: quantization options ({@link MetalConfig#optionNames()}),
 * the loader's {@code format}, the text-generation settings (which may be given as options or as
 * translator arguments) and the DJL options other engines accept.
 */
public final class LoaderOptions {

    /**
     * The option naming the expected format: {@code float}, {@code mlx} or {@code transformers}.
     */
    public static final String FORMAT = "format";

    /** The text-generation settings, read by the translators. */
    public static final Set<String> GENERATION =
            Collections.unmodifiableSet(
                    new LinkedHashSet<>(
                            Arrays.asList(
                                    "maxNewTokens",
                                    "temperature",
                                    "topK",
                                    "topP",
                                    "seed",
                                    "stopSequences")));

    /** DJL's own options that Criteria or DJL Serving may pass to every engine. */
    public static final Set<String> DJL =
            Collections.unmodifiableSet(
                    new LinkedHashSet<>(
                            Arrays.asList(
                                    "mapLocation",
                                    "extraFiles",
                                    "trainParam",
                                    "translatorFactory",
                                    "translator")));

    private LoaderOptions() {}

    /**
     * Returns every accepted option name.
     *
     * @return an ordered, unmodifiable set
     */
    public static Set<String> allowed() {
        Set<String> all = new LinkedHashSet<>(MetalConfig.optionNames());
        all.add(FORMAT);
        all.addAll(GENERATION);
        all.addAll(DJL);
        return Collections.unmodifiableSet(all);
    }

    /**
     * Rejects unknown options.
     *
     * @param options the options, may be null
     * @throws IllegalArgumentException naming the unknown option and listing the allowed ones
     */
    public static void check(Map<String, ?> options) {
        if (options == null) {
            return;
        }
        Set<String> allowed = allowed();
        for (String key : options.keySet()) {
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException(
                        "Unknown option " + key + "; allowed options: " + allowed);
            }
        }
    }
}
