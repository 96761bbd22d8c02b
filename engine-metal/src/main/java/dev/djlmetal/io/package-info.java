/**
 * Safetensors checkpoints: a memory-mapped reader ({@link dev.djlmetal.io.SafetensorsFile}), a
 * reader over a whole model directory, sharded or not ({@link
 * dev.djlmetal.io.SafetensorsCheckpoint}), and a streaming writer ({@link
 * dev.djlmetal.io.SafetensorsWriter}).
 *
 * <p>Unlike DJL's own safetensors support, these classes read U32 and BF16 tensors (converting them
 * in Java to INT32 bits and FLOAT32/FLOAT16 values, which DJL's PyTorch engine can hold), handle
 * files and checkpoints larger than 2 GB by mapping one tensor at a time, and validate headers with
 * errors that name the file and the tensor.
 */
package dev.djlmetal.io;
