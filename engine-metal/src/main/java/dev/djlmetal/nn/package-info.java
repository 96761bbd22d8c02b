/**
 * DJL blocks over affine group-quantized weights: {@link dev.djlmetal.nn.MetalQuantizedLinear} and
 * {@link dev.djlmetal.nn.MetalQuantizedEmbedding}, plus the small interfaces through which {@link
 * dev.djlmetal.quant.MetalQuantizer} finds embedding tables in user block trees.
 */
package dev.djlmetal.nn;
