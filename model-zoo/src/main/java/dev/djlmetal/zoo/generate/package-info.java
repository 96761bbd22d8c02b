/**
 * Text generation for causal language models loaded by the Metal engine.
 *
 * <p>{@link dev.djlmetal.zoo.generate.TextGenerator} runs the decoding loop (prefill the prompt,
 * then one token at a time through the key/value cache) with per-request state only; {@link
 * dev.djlmetal.zoo.generate.TokenSampler} implements greedy, temperature, top-k and top-p sampling;
 * {@link dev.djlmetal.zoo.generate.MetalTranslatorFactory} gives {@code Criteria<String, String>}
 * and {@code Criteria<NDList, NDList>} their translators without the user passing one.
 */
package dev.djlmetal.zoo.generate;
