package io.crossover.driver;

import io.crossover.driver.cli.CrossoverCommand;

/**
 * The {@code crossover} program: the main class that {@code bin/crossover}, {@code spark-submit
 * --class} and the images name. Its name is part of the interface users script against; the command
 * line itself is {@link CrossoverCommand}.
 */
public final class Crossover {
  private Crossover() {}

  public static void main(String[] args) {
    CrossoverCommand.main(args);
  }
}
