/**
 * Benchmarks: the batch reader (local and HDFS against a raw read), the training step (against a
 * square matrix product) and the collectives (against raw loopback TCP), and the all-reduce workers
 * they start.
 */
package io.crossover.driver.bench;
