/** Test fixtures shared with other modules through the model-zoo test-jar: tiny checkpoints. */
package dev.djlmetal.zoo.testing;
