/** The quantization quality table: held-out perplexity and top-1 agreement with float32. */
package dev.djlmetal.examples.quality;
