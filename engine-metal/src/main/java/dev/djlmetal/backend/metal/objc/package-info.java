/**
 * The thin Apple Silicon device layer of the Metal backend: Metal driven from Java through JNA and
 * the Objective-C runtime only ({@code objc_msgSend} bound with one exact, non-variadic prototype
 * per call shape), no native code of our own. Only this package differs between the GPU and the CPU
 * emulator.
 *
 * <p>It has not run on Apple hardware yet. On every CI run its genuine classes run against a
 * stand-in for libobjc, Foundation, CoreGraphics and Metal (a C library the tests build, which
 * checks reference counts, autorelease pools, argument types and Metal's assertions, and runs
 * dispatches through the emulator); the library paths come from {@link
 * dev.djlmetal.backend.metal.objc.MetalBackendProvider}'s system properties there.
 */
package dev.djlmetal.backend.metal.objc;
