/**
 * Llama-family causal language models (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama) written with
 * DJL Blocks: {@link dev.djlmetal.zoo.decoder.DecoderConfig} reads {@code config.json}, {@link
 * dev.djlmetal.zoo.decoder.CausalLM} is the model, {@link dev.djlmetal.zoo.decoder.KvCache} carries
 * a request's key/value cache.
 */
package dev.djlmetal.zoo.decoder;
