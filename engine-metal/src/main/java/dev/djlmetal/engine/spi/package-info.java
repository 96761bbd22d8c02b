/**
 * The architecture SPI: model-zoo modules register {@link
 * dev.djlmetal.engine.spi.ArchitectureProvider}s keyed by {@code config.json}'s {@code model_type},
 * so that the engine loads checkpoints without knowing any architecture.
 */
package dev.djlmetal.engine.spi;
