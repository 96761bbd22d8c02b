/**
 * Reproducible training of the embedded default model: a story grammar the project owns, a
 * byte-level BPE tokenizer trainer, and the training loop over the model-zoo Blocks.
 */
package dev.djlmetal.examples.train;
