package dev.djlmetal.zoo.generate;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.Translator;
import dev.djlmetal.zoo.decoder.CausalLM;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Generates text with a causal language model: prefill the prompt, then one token at a time through
 * the key/value cache, until an end-of-sequence token, a stop sequence or {@code maxNewTokens}.
 *
 * <p>A generator is safe to share between threads: the model's block is stateless and every piece
 * of request state (cache, random generator, tokens) lives in the request. Each decoding step runs
 * in its own {@link NDScope}, so native memory stays flat however long the output.
 *
 * <p>Streaming:
 *
 * <pre>
 * try (ZooModel&lt;String, String&gt; model = criteria.loadModel()) {
 *     TextGenerator generator = TextGenerator.of(model);
 *     generator.generate("Once upon a time", System.out::print);
 * }
 * </pre>
 */
public final class TextGenerator {

    private final Block block;
    private final NDManager manager;
    private final LlmTokenizer tokenizer;
    private final GenerationConfig config;

    /**
     * Creates a generator.
     *
     * @param block the causal language model (input ids and past cache in, logits and present cache
     *     out)
     * @param manager the parent manager of the requests' managers (usually the model's)
     * @param tokenizer the tokenizer
     * @param config the default generation settings
     */
    public TextGenerator(
            Block block, NDManager manager, LlmTokenizer tokenizer, GenerationConfig config) {
        this.block = Objects.requireNonNull(block, "block");
        this.manager = Objects.requireNonNull(manager, "manager");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * Creates a generator for a loaded model, with the tokenizer and end-of-sequence ids of its
     * directory and generation settings from {@code Criteria} arguments.
     *
     * @param model the loaded model
     * @param arguments the arguments ({@code maxNewTokens}, {@code temperature}, {@code topK},
     *     {@code topP}, {@code seed}, {@code stopSequences}); may be {@code null}
     * @return the generator
     * @throws IOException when the tokenizer or the configuration files cannot be read
     */
    public static TextGenerator newInstance(Model model, Map<String, ?> arguments)
            throws IOException {
        Path dir = model.getModelPath();
        if (dir == null) {
            throw new IllegalArgumentException(
                    "Model " + model.getName() + " was not loaded from a directory");
        }
        GenerationConfig config =
                GenerationConfig.fromArguments(arguments, GenerationConfig.readEosTokenIds(dir));
        if (model.getBlock() == null) {
            throw new IllegalArgumentException("Model " + model.getName() + " has no block");
        }
        return new TextGenerator(
                model.getBlock(), model.getNDManager(), LlmTokenizer.load(dir), config);
    }

    /**
     * Returns the generator behind a model loaded with {@code Criteria<String, String>}, for
     * streaming or per-call settings.
     *
     * @param model a model whose translator is the text generation translator
     * @return the generator
     * @throws IllegalArgumentException when the model was loaded with another translator
     */
    public static TextGenerator of(ZooModel<?, ?> model) {
        Translator<?, ?> translator = model.getTranslator();
        if (translator instanceof TextGenerationTranslator) {
            return ((TextGenerationTranslator) translator).getGenerator();
        }
        throw new IllegalArgumentException(
                "Model "
                        + model.getName()
                        + " was not loaded as Criteria<String, String> with the Metal text"
                        + " generation translator (its translator is "
                        + (translator == null ? "null" : translator.getClass().getName())
                        + ")");
    }

    /**
     * Returns the default generation settings.
     *
     * @return the settings
     */
    public GenerationConfig getConfig() {
        return config;
    }

    /**
     * Returns the tokenizer.
     *
     * @return the tokenizer
     */
    public LlmTokenizer getTokenizer() {
        return tokenizer;
    }

    /**
     * Returns a generator sharing this one's model and tokenizer with other settings.
     *
     * @param newConfig the settings
     * @return the generator
     */
    public TextGenerator withConfig(GenerationConfig newConfig) {
        return new TextGenerator(block, manager, tokenizer, newConfig);
    }

    /**
     * Generates the continuation of a prompt.
     *
     * @param prompt the prompt
     * @return the generated text, without the prompt
     */
    public String generate(String prompt) {
        return generate(prompt, null);
    }

    /**
     * Generates the continuation of a prompt, delivering text pieces as they are produced. The
     * pieces add up to the returned text.
     *
     * @param prompt the prompt
     * @param onText receives each new piece of text; may be {@code null}
     * @return the generated text, without the prompt
     */
    public String generate(String prompt, Consumer<String> onText) {
        try (DecodingSession session = newSession(tokenizer.encode(prompt), onText)) {
            run(session, null);
            return session.finish();
        }
    }

    /**
     * Generates token ids after the given prompt ids.
     *
     * @param promptIds the prompt's token ids, with any beginning-of-sequence token
     * @return the generated ids, without an end-of-sequence token
     */
    public long[] generateIds(long[] promptIds) {
        try (DecodingSession session = newSession(promptIds, null)) {
            run(session, null);
            return session.generatedIds();
        }
    }

    DecodingSession newSession(long[] promptIds, Consumer<String> onText) {
        return newSession(promptIds, onText, manager);
    }

    DecodingSession newSession(long[] promptIds, Consumer<String> onText, NDManager parent) {
        return new DecodingSession(parent, config, tokenizer, promptIds, onText);
    }

    /**
     * Runs the decoding loop of a session; when {@code prefillOutput} is given the prompt was
     * already forwarded.
     */
    void run(DecodingSession session, NDList prefillOutput) {
        ParameterStore parameters = new ParameterStore(manager, false);
        if (!session.isDone()) {
            if (prefillOutput != null) {
                session.accept(prefillOutput);
            } else {
                step(session, parameters, true);
            }
        }
        while (!session.isDone()) {
            step(session, parameters, false);
        }
    }

    private void step(DecodingSession session, ParameterStore parameters, boolean prefill) {
        try (NDScope ignored = new NDScope();
                NDManager scope = manager.newSubManager()) {
            NDList input = prefill ? session.prefillInput(scope) : session.nextInput(scope);
            session.accept(block.forward(parameters, input, false, CausalLM.keepLastLogits(1)));
        }
    }
}
