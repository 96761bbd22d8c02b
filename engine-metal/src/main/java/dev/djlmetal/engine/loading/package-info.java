/**
 * Loading checkpoints into DJL block trees: format detection (float, transformers "metal", MLX),
 * validation of config against tensors, float parameters, pre-quantized weights, and writing
 * quantized checkpoints back.
 */
package dev.djlmetal.engine.loading;
