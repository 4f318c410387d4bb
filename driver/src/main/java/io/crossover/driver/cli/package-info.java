/**
 * The {@code crossover} command line: one class per command, which parses its options, makes one
 * call into a package below and prints. {@link io.crossover.driver.cli.CrossoverCommand} is the one
 * place a failure becomes an exit code. Nothing outside this package imports it.
 */
package io.crossover.driver.cli;
