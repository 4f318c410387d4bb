package io.crossover.driver.cli;

import io.crossover.data.config.ConfigLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code crossover config}: inspect the configuration. */
@Command(
    name = "config",
    mixinStandardHelpOptions = true,
    description = "Inspect the configuration.",
    subcommands = {ConfigCommand.Show.class})
public final class ConfigCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    new CommandLine(this).usage(System.out);
    return 0;
  }

  /** {@code crossover config show}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description =
          "Print the resolved, validated config as JSON (what a run saves as config.json).")
  static final class Show implements Callable<Integer> {
    @Mixin ConfigOptions config;

    @Override
    public Integer call() {
      System.out.println(ConfigLoader.toJson(config.load()));
      return 0;
    }
  }
}
