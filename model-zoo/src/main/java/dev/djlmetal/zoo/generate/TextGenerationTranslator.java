package dev.djlmetal.zoo.generate;

/**
 * The translator of {@code Criteria<String, String>}: prompt in, continuation out (without the
 * prompt). {@code batchPredict} runs its prompts as one batch.
 */
public final class TextGenerationTranslator extends AbstractGenerationTranslator<String, String> {

    /**
     * Creates the translator.
     *
     * @param generator the generator of the model
     */
    public TextGenerationTranslator(TextGenerator generator) {
        super(generator);
    }

    @Override
    GenerationRequest toRequest(String input) {
        return GenerationRequest.of(input);
    }

    @Override
    String toOutput(GenerationResult result) {
        return result.getText();
    }
}
