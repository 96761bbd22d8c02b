/**
 * Benchmarks of the quantized blocks and backends: the portable {@code MetalQuantizedLinear}
 * against DJL's float {@code Linear} (JMH), and the cpu backend's fused low-bit matmul against DJL
 * PyTorch float32 {@code linear} on the linear layers of Llama-3.2-1B, as a JMH benchmark ({@link
 * dev.djlmetal.examples.bench.QuantizedLinearBenchmark}) and as a table printer ({@link
 * dev.djlmetal.examples.bench.KernelBenchTable}), both reporting weight bandwidth against the
 * machine's measured memory bandwidth ({@link dev.djlmetal.examples.bench.MemoryBandwidth}). End to
 * end, {@link dev.djlmetal.examples.bench.DecodeBenchmark} measures decode and prefill tokens/s and
 * resident memory of a Llama-3.2-1B-shaped model with random weights in float32, 8-bit and 4-bit,
 * one JVM per configuration.
 */
package dev.djlmetal.examples.bench;
