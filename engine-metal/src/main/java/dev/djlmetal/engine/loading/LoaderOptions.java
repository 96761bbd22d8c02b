package dev.djlmetal.engine.loading;

import dev.djlmetal.quant.MetalConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The option names a Metal model accepts: quantization options ({@link MetalConfig#optionNames()}),
 * the loader's {@code format}, the text-generation settings (which may be given as options or as
 * translator arguments), the DJL options other engines accept, and the options DJL Serving puts
 * into every model's {@code Criteria} (which do not apply to this engine and are ignored).
 *
 * <p>DJL Serving turns every {@code option.NAME} key of {@code serving.properties} into the
 * Criteria option {@code NAME} and adds keys of its own for large language models ({@code
 * option.rolling_batch}, {@code option.max_rolling_batch_size}, {@code
 * option.tensor_parallel_degree}, ...). {@link #check(Map)} accepts those, so that a model
 * directory loads in DJL Serving as it does through plain {@code Criteria}; {@link
 * #ignoredServingOptions(Map)} names them for one log line. Any other unknown option fails, with
 * the closest known name when one is near, so that a misspelled option of this engine is never
 * silently ignored.
 */
public final class LoaderOptions {

    /**
     * The option naming the expected format: {@code float}, {@code mlx} or {@code transformers}.
     */
    public static final String FORMAT = "format";

    /**
     * The text-generation settings, read by the translators; each in camelCase and in the
     * snake_case of transformers and DJL Serving. Given as options, they become model properties,
     * which the translators read below the {@code Criteria} arguments.
     */
    public static final Set<String> GENERATION =
            Collections.unmodifiableSet(
                    new LinkedHashSet<>(
                            Arrays.asList(
                                    "maxNewTokens",
                                    "max_new_tokens",
                                    "max_tokens",
                                    "doSample",
                                    "do_sample",
                                    "temperature",
                                    "topK",
                                    "top_k",
                                    "topP",
                                    "top_p",
                                    "repetitionPenalty",
                                    "repetition_penalty",
                                    "seed",
                                    "stopSequences",
                                    "stop_sequences",
                                    "stop",
                                    "returnFullText",
                                    "return_full_text",
                                    "max_rolling_batch_size")));

    /** DJL's own options that Criteria, a model zoo or DJL Serving may pass to every engine. */
    public static final Set<String> DJL =
            Collections.unmodifiableSet(
                    new LinkedHashSet<>(
                            Arrays.asList(
                                    "mapLocation",
                                    "extraFiles",
                                    "trainParam",
                                    "translatorFactory",
                                    "translator",
                                    "modelName",
                                    "epoch",
                                    "hasParameter")));

    /**
     * The options DJL Serving (0.36) sets or documents for its Python, MPI and LMI engines: from
     * {@code serving.properties}, from {@code OPTION_*} environment variables, or added by its
     * large-model configuration ({@code LmiConfigRecommender}, {@code SageMakerCompatibility}).
     * They configure work this engine does not do (Python workers, tensor parallelism, vLLM or
     * TensorRT-LLM rolling batches) and are ignored.
     */
    public static final Set<String> DJL_SERVING =
            Collections.unmodifiableSet(
                    new LinkedHashSet<>(
                            Arrays.asList(
                                    "rolling_batch",
                                    "tensor_parallel_degree",
                                    "pipeline_parallel_degree",
                                    "mpi_mode",
                                    "async_mode",
                                    "max_num_tokens",
                                    "is_peft_model",
                                    "enable_lora",
                                    "enable_stateful_sessions",
                                    "lmcache_auto_config",
                                    "model_id",
                                    "revision",
                                    "trust_remote_code",
                                    "dtype",
                                    "task",
                                    "entryPoint",
                                    "handler",
                                    "pythonExecutable",
                                    "enable_venv",
                                    "parallel_loading",
                                    "model_loading_timeout",
                                    "predict_timeout",
                                    "max_output_size",
                                    "output_formatter",
                                    "default_accept",
                                    "speculative_draft_model",
                                    "optimization",
                                    "device_map",
                                    "max_model_len",
                                    "gpu_memory_utilization")));

    private static final int MAX_SUGGESTION_DISTANCE = 3;

    private LoaderOptions() {}

    /**
     * Returns every accepted option name (the ignored DJL Serving options included).
     *
     * @return an ordered, unmodifiable set
     */
    public static Set<String> allowed() {
        Set<String> all = new LinkedHashSet<>(MetalConfig.optionNames());
        all.add(FORMAT);
        all.addAll(GENERATION);
        all.addAll(DJL);
        all.addAll(DJL_SERVING);
        return Collections.unmodifiableSet(all);
    }

    /**
     * Rejects unknown options.
     *
     * @param options the options, may be null
     * @throws IllegalArgumentException naming the unknown option, the closest known option when one
     *     is near, and the options of this engine
     */
    public static void check(Map<String, ?> options) {
        if (options == null) {
            return;
        }
        Set<String> allowed = allowed();
        for (String key : options.keySet()) {
            if (!allowed.contains(key)) {
                throw unknown(key);
            }
        }
    }

    /**
     * Returns the DJL Serving options among the given ones, with their values, in name order.
     *
     * @param options the options, may be null
     * @return {@code name=value} entries, empty when there is none
     */
    public static List<String> ignoredServingOptions(Map<String, ?> options) {
        List<String> ignored = new ArrayList<>();
        if (options == null) {
            return ignored;
        }
        for (Map.Entry<String, ?> e : new TreeMap<>(options).entrySet()) {
            if (DJL_SERVING.contains(e.getKey())) {
                ignored.add(e.getKey() + '=' + e.getValue());
            }
        }
        return ignored;
    }

    /**
     * Returns the known name closest to an unknown one, when it is a likely misspelling.
     *
     * @param name the unknown name
     * @param known the known names
     * @return the closest known name, or null when none is near
     */
    public static String closest(String name, Iterable<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String lower = name.toLowerCase(Locale.ROOT);
        for (String candidate : known) {
            int distance = distance(lower, candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                bestDistance = distance;
                best = candidate;
            }
        }
        int limit = Math.min(MAX_SUGGESTION_DISTANCE, Math.max(1, name.length() / 3));
        return bestDistance <= limit ? best : null;
    }

    private static IllegalArgumentException unknown(String key) {
        Set<String> own = new LinkedHashSet<>(MetalConfig.optionNames());
        own.add(FORMAT);
        own.addAll(GENERATION);
        Set<String> candidates = new LinkedHashSet<>(own);
        candidates.addAll(DJL);
        candidates.addAll(DJL_SERVING);
        String suggestion = closest(key, candidates);
        return new IllegalArgumentException(
                "Unknown option "
                        + key
                        + (suggestion == null ? "" : " (did you mean " + suggestion + "?)")
                        + "; the options of engine Metal are "
                        + own);
    }

    /** The Levenshtein distance between two strings. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
