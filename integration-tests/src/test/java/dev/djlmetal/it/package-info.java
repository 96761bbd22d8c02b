/**
 * End-to-end tests through the public {@code Criteria} API only, as a user writes them. They run
 * twice: once naming the engine with {@code optEngine("Metal")}, once with {@code
 * -Dai.djl.default_engine=Metal} and no engine in the criteria.
 */
package dev.djlmetal.it;
