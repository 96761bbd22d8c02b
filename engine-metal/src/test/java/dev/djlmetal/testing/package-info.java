/** Helpers shared by the tests of every module (published in the engine's test jar). */
package dev.djlmetal.testing;
