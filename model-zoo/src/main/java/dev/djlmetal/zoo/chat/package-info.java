/**
 * Chat templates: the Jinja templates of Hugging Face tokenizers ({@code chat_template} of {@code
 * tokenizer_config.json}, or {@code chat_template.jinja}) rendered as transformers' {@code
 * apply_chat_template} renders them, with HubSpot's Jinjava and the Python pieces the templates
 * use.
 */
package dev.djlmetal.zoo.chat;
