/** JMH benchmarks of the quantized blocks and backends. */
package dev.djlmetal.examples.bench;
