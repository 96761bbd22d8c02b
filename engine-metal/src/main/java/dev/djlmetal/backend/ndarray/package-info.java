/**
 * The portable backend: dequantizes affine group-quantized weights with DJL NDArray operations,
 * then multiplies with the engine's float matmul. It runs on every DJL device and is the reference
 * the faster backends are checked against.
 */
package dev.djlmetal.backend.ndarray;
