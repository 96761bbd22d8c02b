package dev.djlmetal.zoo.generate;

import ai.djl.Model;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import dev.djlmetal.zoo.serving.TextGenerationServingTranslator;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Set;

/**
 * The translators of causal language models loaded by the Metal engine.
 *
 * <ul>
 *   <li>{@code (String, String)}: prompt to continuation, see {@link TextGenerationTranslator};
 *   <li>{@code (GenerationRequest, GenerationResult)}: a prompt or chat messages with their own
 *       parameters to text, tokens and finish reason, see {@link GenerationResultTranslator};
 *   <li>{@code (String, GenerationStream)} and {@code (GenerationRequest, GenerationStream)}: the
 *       tokens as they come, {@code Predictor.streamingPredict}, see {@link
 *       StreamingGenerationTranslator};
 *   <li>{@code (Input, Output)}: DJL Serving, see {@link TextGenerationServingTranslator};
 *   <li>{@code (NDList, NDList)}: input one INT64 array of token ids {@code [batch, seq]}, output
 *       the model's list, whose first array is the FLOAT32 logits {@code [batch, seq, vocab]}.
 * </ul>
 *
 * <p>DJL picks a translator factory before it loads the model: from {@code
 * Criteria.optTranslatorFactory}, else from the {@code translatorFactory} argument of the model
 * artifact, else its default factory. The model locations of this project ({@code hf://} ids and
 * checkpoint directories, see {@code dev.djlmetal.zoo}) put this class in the {@code
 * translatorFactory} argument, so users need not name a translator.
 */
public final class MetalTranslatorFactory implements TranslatorFactory {

    private static final Set<Pair<Type, Type>> SUPPORTED =
            Set.of(
                    new Pair<>(String.class, String.class),
                    new Pair<>(GenerationRequest.class, GenerationResult.class),
                    new Pair<>(String.class, GenerationStream.class),
                    new Pair<>(GenerationRequest.class, GenerationStream.class),
                    new Pair<>(Input.class, Output.class),
                    new Pair<>(NDList.class, NDList.class));

    /** {@inheritDoc} */
    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return SUPPORTED;
    }

    /** {@inheritDoc} */
    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(
            Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (input == NDList.class && output == NDList.class) {
            return (Translator<I, O>) new NoopTranslator(null);
        }
        if (!isSupported(input, output)) {
            throw new IllegalArgumentException(
                    "Unsupported types ("
                            + input.getName()
                            + ", "
                            + output.getName()
                            + "): the Metal translators are "
                            + SUPPORTED);
        }
        TextGenerator generator;
        try {
            generator = TextGenerator.newInstance(model, arguments);
        } catch (IOException | RuntimeException e) {
            // DJL does not close a model whose translator fails: leave nothing behind
            model.close();
            throw new TranslateException(
                    "Cannot set up text generation for "
                            + model.getModelPath()
                            + ": "
                            + e.getMessage(),
                    e);
        }
        if (input == Input.class) {
            return (Translator<I, O>)
                    new TextGenerationServingTranslator(generator, model.getName());
        }
        if (output == GenerationStream.class) {
            if (input == String.class) {
                return (Translator<I, O>)
                        new StreamingGenerationTranslator<String>(generator, GenerationRequest::of);
            }
            return (Translator<I, O>)
                    new StreamingGenerationTranslator<GenerationRequest>(generator, r -> r);
        }
        if (output == GenerationResult.class) {
            return (Translator<I, O>) new GenerationResultTranslator(generator);
        }
        return (Translator<I, O>) new TextGenerationTranslator(generator);
    }
}
