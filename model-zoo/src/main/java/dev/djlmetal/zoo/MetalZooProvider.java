package dev.djlmetal.zoo;

import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;

/** Registers {@link MetalModelZoo} with DJL (through {@code META-INF/services}). */
public class MetalZooProvider implements ZooProvider {

    /** {@inheritDoc} */
    @Override
    public ModelZoo getModelZoo() {
        return new MetalModelZoo();
    }
}
