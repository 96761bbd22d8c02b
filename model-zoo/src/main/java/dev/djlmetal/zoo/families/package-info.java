/**
 * The model families of the zoo: one small {@link dev.djlmetal.engine.spi.ArchitectureProvider} per
 * family that reads its {@code config.json} into a {@link dev.djlmetal.zoo.decoder.DecoderConfig}
 * and registers its {@code model_type}s with the Metal engine.
 */
package dev.djlmetal.zoo.families;
