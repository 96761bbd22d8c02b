/**
 * Llama-family causal language models (Llama 2/3, Mistral, Qwen2, SmolLM, TinyLlama) written with
 * DJL Blocks: {@link dev.djlmetal.zoo.llama.LlamaConfig} reads {@code config.json}, {@link
 * dev.djlmetal.zoo.llama.LlamaForCausalLM} is the model, {@link dev.djlmetal.zoo.llama.KvCache}
 * carries a request's key/value cache.
 */
package dev.djlmetal.zoo.llama;
