/**
 * The djl-metal model zoo and model locations.
 *
 * <p>{@link dev.djlmetal.zoo.MetalModelZoo} is the DJL zoo of group {@code dev.djlmetal} for the
 * {@code Metal} engine. Model locations: local checkpoint directories ({@link
 * dev.djlmetal.zoo.CheckpointRepositoryFactory}), Hugging Face Hub ids {@code hf://org/name}
 * downloaded into DJL's cache ({@link dev.djlmetal.zoo.HubRepository}), and archives on the
 * classpath through DJL's {@code jar://} repository.
 */
package dev.djlmetal.zoo;
