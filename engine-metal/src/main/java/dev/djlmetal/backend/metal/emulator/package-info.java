/**
 * The CPU emulator of the Metal device: the very MSL source of the kernels, translated line for
 * line into C++20 ({@link dev.djlmetal.backend.metal.emulator.MslTranslator}), compiled by the host
 * compiler through a shim header, loaded with JNA, and run with one thread per lane so threadgroup
 * barriers and SIMD-group reductions behave as on the GPU. It is as strict as a GPU is unforgiving:
 * arguments bind by their {@code [[buffer(i)]]} attributes, every device-memory access is
 * bounds-checked, threadgroup memory is poisoned before each threadgroup uses it. It backs {@code
 * backend=metal-emulated}: kernel development and tests on any machine with a C++ compiler.
 */
package dev.djlmetal.backend.metal.emulator;
