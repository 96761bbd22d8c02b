/**
 * Affine group quantization (MLX style): configuration, the quantizer, bit packing, quantized
 * tensors and the substitution of quantized blocks into DJL block trees.
 */
package dev.djlmetal.quant;
