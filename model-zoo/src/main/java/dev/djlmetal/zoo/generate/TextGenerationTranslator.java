package dev.djlmetal.zoo.generate;

import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * The translator of {@code Criteria<String, String>}: the predictor's forward pass is the prefill
 * of the prompt, and {@link #processOutput} continues the decoding loop. The predictor returns the
 * continuation only, not the prompt.
 */
public final class TextGenerationTranslator implements NoBatchifyTranslator<String, String> {

    private static final String SESSION = "djlmetal.session";

    private final TextGenerator generator;

    /**
     * Creates the translator.
     *
     * @param generator the generator of the model
     */
    public TextGenerationTranslator(TextGenerator generator) {
        this.generator = generator;
    }

    /**
     * Returns the generator, for streaming or per-call settings.
     *
     * @return the generator
     */
    public TextGenerator getGenerator() {
        return generator;
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, String input) {
        long[] ids = generator.getTokenizer().encode(input);
        DecodingSession session = generator.newSession(ids, null, ctx.getNDManager());
        ctx.setAttachment(SESSION, session);
        return session.prefillInput(ctx.getNDManager());
    }

    /** {@inheritDoc} */
    @Override
    public String processOutput(TranslatorContext ctx, NDList list) {
        try (DecodingSession session = (DecodingSession) ctx.getAttachment(SESSION)) {
            generator.run(session, list);
            return session.finish();
        }
    }
}
