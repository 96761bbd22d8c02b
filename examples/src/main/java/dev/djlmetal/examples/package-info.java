/**
 * The djl-metal command line ({@link dev.djlmetal.examples.Main}): text generation from a model
 * quantized on the fly, with its summary of sizes and speeds.
 */
package dev.djlmetal.examples;
