/** Sweeps: sweep files, the grid of runs they expand to, and running and resuming a sweep. */
package io.crossover.driver.sweep;
