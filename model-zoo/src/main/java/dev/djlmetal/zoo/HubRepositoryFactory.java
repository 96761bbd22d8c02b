package dev.djlmetal.zoo;

import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import java.net.URI;
import java.util.Collections;
import java.util.Set;

/**
 * The {@code hf} scheme: {@code Criteria.optModelUrls("hf://org/name@revision")} loads a model from
 * the Hugging Face Hub through a {@link HubRepository}. Registered through {@code
 * META-INF/services/ai.djl.repository.RepositoryFactory}.
 */
public final class HubRepositoryFactory implements RepositoryFactory {

    /** {@inheritDoc} */
    @Override
    public Repository newInstance(String name, URI uri) {
        return new HubRepository(name, uri);
    }

    /** {@inheritDoc} */
    @Override
    public Set<String> getSupportedScheme() {
        return Collections.singleton("hf");
    }
}
