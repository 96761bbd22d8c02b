package dev.djlmetal.zoo.generate;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import dev.djlmetal.zoo.chat.ChatTemplate;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Generates text with a causal language model: prefill the prompts, then one token at a time
 * through the key/value cache, until an end-of-sequence token, a stop sequence or {@code
 * max_new_tokens}, for each sequence on its own.
 *
 * <p>A list of requests runs as one batch ({@link DecodingBatch}: left padding and an attention
 * mask), each sequence with its own settings ({@link SequenceState}), finishing independently. A
 * generator is safe to share between threads: the model's block is stateless and every piece of
 * request state lives in the sequences and their batch. Each decoding step runs in its own {@code
 * NDScope}, so native memory stays flat however long the output.
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
    private final ChatTemplate chatTemplate;
    private final ContinuousBatcher batcher;

    /** The default of the {@value #MAX_BATCH_OPTION} option: sequences decoded at once. */
    public static final int DEFAULT_MAX_BATCH = 8;

    /**
     * The option (or argument) that caps the sequences decoded at once by the model's continuous
     * batch: DJL Serving's {@code max_rolling_batch_size}. Further requests wait.
     */
    public static final String MAX_BATCH_OPTION = "max_rolling_batch_size";

    /**
     * Creates a generator without a chat template.
     *
     * @param block the causal language model (input ids, past cache and optional attention mask in;
     *     logits and present cache out)
     * @param manager the parent manager of the batches' managers (usually the model's)
     * @param tokenizer the tokenizer
     * @param config the default generation settings
     */
    public TextGenerator(
            Block block, NDManager manager, LlmTokenizer tokenizer, GenerationConfig config) {
        this(block, manager, tokenizer, config, null);
    }

    /**
     * Creates a generator.
     *
     * @param block the causal language model
     * @param manager the parent manager of the batches' managers (usually the model's)
     * @param tokenizer the tokenizer
     * @param config the default generation settings
     * @param chatTemplate the chat template, or null when the model has none
     */
    public TextGenerator(
            Block block,
            NDManager manager,
            LlmTokenizer tokenizer,
            GenerationConfig config,
            ChatTemplate chatTemplate) {
        this(block, manager, tokenizer, config, chatTemplate, DEFAULT_MAX_BATCH);
    }

    /**
     * Creates a generator with its own continuous batch of at most {@code maxBatch} sequences.
     *
     * @param block the causal language model
     * @param manager the parent manager of the batches' managers (usually the model's)
     * @param tokenizer the tokenizer
     * @param config the default generation settings
     * @param chatTemplate the chat template, or null when the model has none
     * @param maxBatch the most sequences decoded at once
     */
    public TextGenerator(
            Block block,
            NDManager manager,
            LlmTokenizer tokenizer,
            GenerationConfig config,
            ChatTemplate chatTemplate,
            int maxBatch) {
        this(
                block,
                manager,
                tokenizer,
                config,
                chatTemplate,
                new ContinuousBatcher(
                        () -> new DecodingBatch(block, manager, List.of()),
                        maxBatch,
                        "djl-metal-decode"));
    }

    private TextGenerator(
            Block block,
            NDManager manager,
            LlmTokenizer tokenizer,
            GenerationConfig config,
            ChatTemplate chatTemplate,
            ContinuousBatcher batcher) {
        this.block = Objects.requireNonNull(block, "block");
        this.manager = Objects.requireNonNull(manager, "manager");
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.config = Objects.requireNonNull(config, "config");
        this.chatTemplate = chatTemplate;
        this.batcher = batcher;
    }

    /**
     * Creates a generator for a loaded model: the tokenizer and chat template of its directory, the
     * defaults of its {@code generation_config.json}, then the generation settings given as {@code
     * Criteria} options (model properties), then those of the arguments.
     *
     * @param model the loaded model
     * @param arguments the {@code Criteria} arguments (see {@link GenerationParameter}); may be
     *     {@code null}
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
        if (model.getBlock() == null) {
            throw new IllegalArgumentException("Model " + model.getName() + " has no block");
        }
        GenerationConfig config =
                GenerationConfig.fromModelDirectory(dir)
                        .withArguments(model.getProperties())
                        .withArguments(arguments);
        ChatTemplate template = ChatTemplate.load(dir);
        int maxBatch = maxBatch(model.getProperty(MAX_BATCH_OPTION), arguments);
        return new TextGenerator(
                model.getBlock(),
                model.getNDManager(),
                LlmTokenizer.load(dir),
                config,
                template,
                maxBatch);
    }

    private static int maxBatch(String property, Map<String, ?> arguments) {
        Object value = arguments == null ? null : arguments.get(MAX_BATCH_OPTION);
        if (value == null) {
            value = property;
        }
        if (value == null) {
            return DEFAULT_MAX_BATCH;
        }
        try {
            int max = Integer.parseInt(value.toString().trim());
            if (max >= 1) {
                return max;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                MAX_BATCH_OPTION + " must be a positive number of sequences, got '" + value + "'");
    }

    /**
     * Returns the generator behind a model loaded with one of the Metal text-generation translators
     * ({@code Criteria<String, String>}, {@code <GenerationRequest, ...>} or {@code <Input,
     * Output>}).
     *
     * @param model a model whose translator is a Metal text-generation translator
     * @return the generator
     * @throws IllegalArgumentException when the model was loaded with another translator
     */
    public static TextGenerator of(ZooModel<?, ?> model) {
        Translator<?, ?> translator = model.getTranslator();
        if (translator instanceof GenerationTranslator) {
            return ((GenerationTranslator) translator).getGenerator();
        }
        throw new IllegalArgumentException(
                "Model "
                        + model.getName()
                        + " was not loaded with a Metal text generation translator (its"
                        + " translator is "
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
     * Returns the chat template.
     *
     * @return the template, or null when the model has none
     */
    public ChatTemplate getChatTemplate() {
        return chatTemplate;
    }

    /**
     * Returns a generator sharing this one's model, tokenizer and chat template with other
     * settings.
     *
     * @param newConfig the settings
     * @return the generator
     */
    public TextGenerator withConfig(GenerationConfig newConfig) {
        return new TextGenerator(block, manager, tokenizer, newConfig, chatTemplate, batcher);
    }

    /**
     * Returns the continuous batch the generator's requests share.
     *
     * @return the batcher
     */
    public ContinuousBatcher getBatcher() {
        return batcher;
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
        TokenListener listener = onText == null ? null : new TextPieces(onText);
        return generate(GenerationRequest.of(prompt), listener).getText();
    }

    /**
     * Generates token ids after the given prompt ids.
     *
     * @param promptIds the prompt's token ids, with any beginning-of-sequence token
     * @return the generated ids, without an end-of-sequence token
     */
    public long[] generateIds(long[] promptIds) {
        SequenceState sequence = new SequenceState(null, promptIds, config, tokenizer, null);
        run(Collections.singletonList(sequence));
        return sequence.getResult().getTokenIds();
    }

    /**
     * Runs one request.
     *
     * @param request the request
     * @return the result
     * @throws IllegalArgumentException for a bad parameter, an empty prompt, or a chat request on a
     *     model without chat template
     * @throws dev.djlmetal.zoo.chat.ChatTemplateException when the chat template fails
     */
    public GenerationResult generate(GenerationRequest request) {
        return generate(request, null);
    }

    /**
     * Runs one request, delivering its tokens as they are produced.
     *
     * @param request the request
     * @param listener receives the tokens and the result; may be {@code null}
     * @return the result
     */
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        SequenceState sequence = newSequence(request, listener);
        run(Collections.singletonList(sequence));
        return sequence.getResult();
    }

    /**
     * Runs requests as one batch through the model, each with its own settings and stop conditions.
     *
     * @param requests the requests
     * @return their results, in order
     */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        List<SequenceState> sequences = new ArrayList<>(requests.size());
        for (GenerationRequest request : requests) {
            sequences.add(newSequence(request, null));
        }
        run(sequences);
        List<GenerationResult> results = new ArrayList<>(sequences.size());
        for (SequenceState sequence : sequences) {
            results.add(sequence.getResult());
        }
        return results;
    }

    /**
     * Prepares the state of a request's sequence: its prompt tokens (the chat template rendered for
     * a chat request) and its settings (this generator's, overridden by the request's parameters).
     *
     * @param request the request
     * @param listener receives the tokens and the result; may be {@code null}
     * @return the sequence, not yet run
     * @throws IllegalArgumentException for a bad parameter, an empty prompt, or a chat request on a
     *     model without chat template
     */
    public SequenceState newSequence(GenerationRequest request, TokenListener listener) {
        GenerationConfig settings = config.withParameters(request.getParameters());
        String prompt;
        long[] ids;
        if (request.isChat()) {
            if (chatTemplate == null) {
                throw new IllegalArgumentException(
                        "This model has no chat template (chat_template in tokenizer_config.json"
                                + " or chat_template.jinja): send a prompt instead of messages");
            }
            prompt =
                    chatTemplate.render(
                            request.getMessages(),
                            request.getTools(),
                            true,
                            request.getTemplateArguments());
            ids = tokenizer.encodeWithoutSpecialTokens(prompt);
        } else {
            prompt = request.getPrompt();
            ids = tokenizer.encode(prompt);
        }
        return new SequenceState(prompt, ids, settings, tokenizer, listener);
    }

    /**
     * Creates the decoding loop of a batch of sequences; the caller steps it until it is empty and
     * closes it.
     *
     * @param sequences the sequences
     * @return the batch
     */
    public DecodingBatch newBatch(List<SequenceState> sequences) {
        return new DecodingBatch(block, manager, sequences);
    }

    /**
     * Runs sequences until every one has finished, in the model's continuous batch: they join the
     * sequences other threads are generating, and this call returns when its own have finished.
     *
     * @param sequences the sequences
     */
    public void run(List<SequenceState> sequences) {
        batcher.run(sequences);
    }

    /** Adapts a text consumer: the released text of every token, then what the end flushed. */
    private static final class TextPieces implements TokenListener {

        private final Consumer<String> onText;
        private int delivered;

        TextPieces(Consumer<String> onText) {
            this.onText = onText;
        }

        @Override
        public void onToken(GeneratedToken token) {
            if (!token.getText().isEmpty()) {
                delivered += token.getText().length();
                onText.accept(token.getText());
            }
        }

        @Override
        public void onFinish(GenerationResult result) {
            if (result.getText().length() > delivered) {
                onText.accept(result.getText().substring(delivered));
            }
        }
    }
}
