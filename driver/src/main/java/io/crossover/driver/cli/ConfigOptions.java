package io.crossover.driver.cli;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every command shares: a config file and {@code --set key=value} overrides. */
public final class ConfigOptions {
  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description = "HOCON file over the defaults (a path, or a name in conf/ such as quickstart).")
  String file;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one config key, e.g. --set budget.seq-len=512 (repeatable).")
  List<String> overrides = new ArrayList<>();

  /** Loads the config with the command's own options before the --set ones. */
  public CrossoverConfig load(Sugar fromOptions) {
    List<ConfigLoader.Setting> all = new ArrayList<>(fromOptions.settings);
    for (String o : overrides) {
      all.add(ConfigLoader.Setting.ofSet(o));
    }
    return ConfigLoader.loadOverrides(file, all);
  }

  /** Loads the config from the file and the --set overrides alone. */
  public CrossoverConfig load() {
    return load(new Sugar());
  }

  /**
   * The config keys that a command's own options set, each remembering the option, so that an error
   * about {@code --objective} says "(from --objective)".
   */
  public static final class Sugar {
    private final List<ConfigLoader.Setting> settings = new ArrayList<>();

    /** Records {@code option}'s value for {@code key} when the option was given. */
    public Sugar put(String option, String key, Object value) {
      if (value != null) {
        settings.add(new ConfigLoader.Setting(key, String.valueOf(value), option));
      }
      return this;
    }
  }
}
