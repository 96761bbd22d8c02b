/**
 * The CPU emulator of the Metal device: the very MSL source of the kernels compiled as C++20 by the
 * host compiler through a shim header, loaded with JNA, and run with one thread per lane so
 * threadgroup barriers and SIMD-group reductions behave as on the GPU. It backs {@code
 * backend=metal-emulated}: kernel development and tests on any machine with a C++ compiler.
 */
package dev.djlmetal.backend.metal.emulator;
