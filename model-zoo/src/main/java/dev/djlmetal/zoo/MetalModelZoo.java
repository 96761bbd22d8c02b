package dev.djlmetal.zoo;

import ai.djl.Application;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.util.Utils;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * The djl-metal model zoo: group id {@code dev.djlmetal}, engine {@code Metal}.
 *
 * <p>It holds the models at the given locations (comma-separated: {@code hf://org/name}, local
 * checkpoint directories, {@code jar:///archive.zip} resources on the classpath, or any URL DJL
 * understands); the zoo that {@link MetalZooProvider} registers reads them from the system property
 * or environment variable {@code DJLMETAL_MODELS}. Every model of this zoo gets the Metal
 * translators ({@code String -> String} generation, {@code NDList -> NDList} logits) by default,
 * whatever its location.
 *
 * <p>Its models are tagged {@link Application.NLP#TEXT_GENERATION}. The zoo that {@link
 * MetalZooProvider} registers holds the {@linkplain EmbeddedModel embedded model} {@code
 * story-llama} only when {@code DJLMETAL_MODELS} names no location: a {@code Criteria} with engine
 * {@code Metal} and no model location loads it. A location that is given but holds no model is
 * never replaced by the embedded model: loading fails with a {@link ModelNotFoundException} naming
 * it.
 *
 * <pre>
 * Criteria.builder()
 *         .setTypes(String.class, String.class)
 *         .optModelZoo(new MetalModelZoo("jar:///models/tiny-llama.zip"))
 *         .build();
 * </pre>
 */
public class MetalModelZoo extends ModelZoo {

    /** The group id of this zoo. */
    public static final String GROUP_ID = "dev.djlmetal";

    /** The engine of this zoo. */
    public static final String ENGINE = "Metal";

    /**
     * Creates the zoo of the locations in {@code DJLMETAL_MODELS}, if any, followed by the embedded
     * model when it is on the classpath.
     */
    public MetalModelZoo() {
        this(Utils.getEnvOrSystemProperty("DJLMETAL_MODELS", ""));
        ClasspathCheckpoint embedded = EmbeddedModel.checkpoint();
        if (getModelLoaders().isEmpty() && embedded.isPresent()) {
            addClasspathModel(embedded);
        }
    }

    /**
     * Creates a zoo of the given locations.
     *
     * @param locations comma-separated model locations
     */
    public MetalModelZoo(String locations) {
        for (String location : locations.split("\\s*,\\s*")) {
            if (location.isEmpty()) {
                continue;
            }
            Repository repository = Repository.newInstance(location, location);
            List<MRL> resources = repository.getResources();
            if (resources.isEmpty()) {
                addModel(new MissingModelLoader(location, repository));
            }
            for (MRL mrl : resources) {
                addModel(new MetalModelLoader(mrl));
            }
        }
    }

    /**
     * Adds a checkpoint packed as a classpath resource to this zoo.
     *
     * @param checkpoint the checkpoint
     */
    public final void addClasspathModel(ClasspathCheckpoint checkpoint) {
        Repository repository =
                new ClasspathModelRepository(checkpoint.getArtifactId(), checkpoint);
        for (MRL mrl : repository.getResources()) {
            addModel(new MetalModelLoader(mrl));
        }
    }

    /** {@inheritDoc} */
    @Override
    public String getGroupId() {
        return GROUP_ID;
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> getSupportedEngines() {
        return Collections.singleton(ENGINE);
    }
}
