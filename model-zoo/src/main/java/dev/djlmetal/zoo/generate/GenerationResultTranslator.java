package dev.djlmetal.zoo.generate;

/**
 * The translator of {@code Criteria<GenerationRequest, GenerationResult>}: a prompt or chat
 * messages with their own parameters in; text, tokens with log-probabilities and the finish reason
 * out. {@code batchPredict} runs its requests as one batch, each with its own settings.
 */
public final class GenerationResultTranslator
        extends AbstractGenerationTranslator<GenerationRequest, GenerationResult> {

    /**
     * Creates the translator.
     *
     * @param generator the generator of the model
     */
    public GenerationResultTranslator(TextGenerator generator) {
        super(generator);
    }

    @Override
    GenerationRequest toRequest(GenerationRequest input) {
        return input;
    }

    @Override
    GenerationResult toOutput(GenerationResult result) {
        return result;
    }
}
