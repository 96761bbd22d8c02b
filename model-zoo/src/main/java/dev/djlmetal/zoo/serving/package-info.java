/**
 * DJL Serving's model contract for text generation: {@code Criteria<Input, Output>} with the LMI /
 * TGI schema ({@code inputs}, {@code parameters}, {@code stream}) and the OpenAI chat schema
 * ({@code messages}), JSON-lines streaming through a {@code ChunkedBytesSupplier}, and 400 outputs
 * for malformed requests.
 */
package dev.djlmetal.zoo.serving;
