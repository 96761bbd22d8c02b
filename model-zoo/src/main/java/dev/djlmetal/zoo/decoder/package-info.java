/**
 * The shared blocks of decoder-only language models, written with DJL Blocks: {@link
 * dev.djlmetal.zoo.decoder.CausalLM} (the model and its forward contract), {@link
 * dev.djlmetal.zoo.decoder.DecoderModel}, {@link dev.djlmetal.zoo.decoder.DecoderLayer}, {@link
 * dev.djlmetal.zoo.decoder.Attention} (query/key norms, sliding windows, soft caps, partial and
 * LongRoPE rotation), {@link dev.djlmetal.zoo.decoder.GatedMlp}, {@link
 * dev.djlmetal.zoo.decoder.SparseMoe} with {@link dev.djlmetal.zoo.decoder.SwitchGlu} (mixture of
 * experts), {@link dev.djlmetal.zoo.decoder.RmsNorm} (with Gemma's offset) and {@link
 * dev.djlmetal.zoo.decoder.RotaryEmbedding}. {@link dev.djlmetal.zoo.decoder.DecoderConfig} says
 * how a model wires them; a {@link dev.djlmetal.zoo.decoder.DecoderFamily} (package {@code
 * dev.djlmetal.zoo.families}) reads it from {@code config.json}. {@link
 * dev.djlmetal.zoo.decoder.KvCache} carries a request's key/value cache.
 */
package dev.djlmetal.zoo.decoder;
