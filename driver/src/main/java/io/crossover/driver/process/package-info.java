/**
 * What belongs to this JVM rather than to a command: the installation directory and the command
 * line of this invocation ({@link io.crossover.driver.process.Invocation}), the text a user reads
 * about a failure, the log file, native stderr, interrupts, paths made absolute, resident memory,
 * the doctor's environment report. The bottom of the driver: it imports no other driver package.
 */
package io.crossover.driver.process;
