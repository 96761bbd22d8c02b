package dev.djlmetal.zoo.generate;

/** A translator of the Metal model zoo that generates text with a {@link TextGenerator}. */
public interface GenerationTranslator {

    /**
     * Returns the generator, for streaming or per-call settings.
     *
     * @return the generator
     */
    TextGenerator getGenerator();
}
