package dev.djlmetal.zoo;

import ai.djl.Application;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.Progress;

/**
 * Stands in the zoo for a model location that holds no model, so that loading fails with a {@link
 * ModelNotFoundException} naming it instead of another model being served.
 */
final class MissingModelLoader implements ModelLoader {

    private final String location;
    private final MRL mrl;

    MissingModelLoader(String location, Repository repository) {
        this.location = location;
        this.mrl =
                MRL.model(
                        repository,
                        Application.NLP.TEXT_GENERATION,
                        MetalModelZoo.GROUP_ID,
                        location,
                        null,
                        null);
    }

    /** {@inheritDoc} */
    @Override
    public String getGroupId() {
        return MetalModelZoo.GROUP_ID;
    }

    /** {@inheritDoc} */
    @Override
    public String getArtifactId() {
        return location;
    }

    /** {@inheritDoc} */
    @Override
    public Application getApplication() {
        return Application.NLP.TEXT_GENERATION;
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria) throws ModelNotFoundException {
        throw new ModelNotFoundException(
                "DJLMETAL_MODELS names " + location + ", where no model was found");
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        return false;
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress)
            throws ModelNotFoundException {
        loadModel(criteria);
    }

    /** {@inheritDoc} */
    @Override
    public MRL getMrl() {
        return mrl;
    }
}
