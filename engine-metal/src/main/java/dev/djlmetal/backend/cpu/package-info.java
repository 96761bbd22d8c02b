/**
 * The fast CPU backend: fused dequantize and matmul over packed affine group-quantized weights, in
 * Java SIMD code (the incubating Vector API) with a scalar fallback, multithreaded over output
 * rows.
 *
 * <p>Data flow: {@link dev.djlmetal.backend.cpu.CpuQuantizedMatmul#prepare} wraps the packed codes,
 * scales and biases of a {@link dev.djlmetal.quant.QuantizedTensor} as direct buffers over the
 * tensors' own memory (no copy, no dequantized weight); {@link
 * dev.djlmetal.backend.cpu.CpuPreparedWeight#apply} reads the activations once into a
 * kernel-friendly heap layout, runs a matrix-vector kernel (one activation row, decode) or a
 * blocked kernel (several rows, prefill) on a shared fork-join pool, and returns an NDArray created
 * over the direct output buffer the kernel wrote.
 */
package dev.djlmetal.backend.cpu;
