/**
 * One run from start to end: every check that can refuse it before anything is written, its
 * directory, then one rank in this process or a barrier stage on Spark, and what an interrupt
 * prints.
 */
package io.crossover.driver.train;
