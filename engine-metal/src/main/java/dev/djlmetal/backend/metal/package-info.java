/**
 * The Metal backend of {@code affine_qmm_t}: the kernel catalogue, launch planning, argument
 * structs and the {@link dev.djlmetal.backend.QuantizedMatmul} that dispatches the kernels through
 * a {@link dev.djlmetal.backend.metal.MetalDevice}.
 *
 * <p>Everything here is shared by the real device layer ({@code metal.objc}, Apple Silicon through
 * JNA and the Objective-C runtime) and the CPU emulator ({@code metal.emulator}, the same MSL
 * source compiled as C++).
 */
package dev.djlmetal.backend.metal;
