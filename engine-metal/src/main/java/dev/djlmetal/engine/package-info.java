/**
 * The Metal DJL engine: {@link dev.djlmetal.engine.MetalEngine} (registered as "Metal"), which runs
 * on PyTorch NDArrays, and {@link dev.djlmetal.engine.MetalModel}, which loads quantized
 * checkpoints through an installed {@link dev.djlmetal.engine.ModelLoader}.
 */
package dev.djlmetal.engine;
