/**
 * A run as the driver sees it: its directory and identity, checkpoints, one rank's training
 * session, the metrics log and the tail that follows it, the plan's rendering, and a checkpoint
 * evaluated outside training.
 */
package io.crossover.driver.run;
