/**
 * The thin Apple Silicon device layer of the Metal backend: Metal driven from Java through JNA and
 * the Objective-C runtime only ({@code objc_msgSend} bound with one exact, non-variadic prototype
 * per call shape), no native code of our own. Only this package differs between the GPU and the CPU
 * emulator.
 */
package dev.djlmetal.backend.metal.objc;
