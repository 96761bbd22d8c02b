package dev.djlmetal.zoo;

import ai.djl.repository.MRL;
import ai.djl.repository.zoo.BaseModelLoader;

import dev.djlmetal.zoo.generate.MetalTranslatorFactory;

/**
 * A model loader whose default translator factory is {@link MetalTranslatorFactory}, so that its
 * models load as {@code Criteria<String, String>} or {@code Criteria<NDList, NDList>} without a
 * translator.
 */
public class MetalModelLoader extends BaseModelLoader {

    /**
     * Creates the loader of a model.
     *
     * @param mrl the model's resource locator
     */
    public MetalModelLoader(MRL mrl) {
        super(mrl);
        defaultFactory = new MetalTranslatorFactory();
    }
}
