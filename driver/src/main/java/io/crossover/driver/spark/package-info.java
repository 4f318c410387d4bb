/**
 * Spark: sessions, the barrier launch of a multi-rank run and its pre-flight, the task that is one
 * rank, the ingest job's launch and the doctor's executor probe.
 */
package io.crossover.driver.spark;
