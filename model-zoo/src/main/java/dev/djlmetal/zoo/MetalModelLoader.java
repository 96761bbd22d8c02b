package dev.djlmetal.zoo;

import ai.djl.MalformedModelException;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.BaseModelLoader;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import dev.djlmetal.zoo.generate.MetalTranslatorFactory;
import java.io.IOException;

/**
 * A model loader for the Metal engine (unless the criteria name another engine) whose default
 * translator factory is {@link MetalTranslatorFactory}, so that its models load as {@code
 * Criteria<String, String>} or {@code Criteria<NDList, NDList>} without a translator.
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

    /** {@inheritDoc} */
    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        if (criteria.getEngine() == null) {
            criteria = criteria.toBuilder().optEngine(MetalModelZoo.ENGINE).build();
        }
        return super.loadModel(criteria);
    }
}
