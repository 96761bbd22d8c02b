/**
 * The seam between quantized blocks and the code that multiplies by quantized weights: the {@link
 * dev.djlmetal.backend.QuantizedMatmul} interface, backend providers and their selection.
 */
package dev.djlmetal.backend;
