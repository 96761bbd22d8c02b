/**
 * The fast CPU backend: fused dequantize and matmul over packed affine group-quantized weights, in
 * Java SIMD code (the incubating Vector API, at the CPU's preferred width or the one {@code
 * djlmetal.cpu.vectorBits} asks for) with a scalar fallback, multithreaded over output rows.
 *
 * <p>Data flow: {@link dev.djlmetal.backend.cpu.CpuQuantizedMatmul#prepare} wraps the packed codes,
 * scales and biases of a {@link dev.djlmetal.quant.QuantizedTensor} as direct buffers over the
 * tensors' own memory (no copy, no dequantized weight); {@link
 * dev.djlmetal.backend.cpu.CpuPreparedWeight#apply} reads the activations once into a
 * kernel-friendly heap layout ({@code LaneLayout}) and runs a matrix-vector kernel (one activation
 * row, decode) or a small-batch kernel (a few rows, each code decoded once per four rows) on the
 * calling thread and persistent workers ({@code RowParallel}), writing straight into the memory of
 * the output array; from {@code cpu.blasMinRows} rows on (prefill) it dequantizes chunks of rows
 * into a reusable buffer and multiplies them with the engine's matmul. Each weight row is copied
 * from the off-heap tensor into small per-thread arrays before its vectors are loaded, the only way
 * to load vectors that works from JDK 17 to 25.
 */
package dev.djlmetal.backend.cpu;
