package io.crossover.driver;

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

  /** Loads the config with the command's own options (as key=value) before the --set ones. */
  public CrossoverConfig load(List<String> fromOptions) {
    List<String> all = new ArrayList<>(fromOptions);
    all.addAll(overrides);
    return ConfigLoader.load(file, all);
  }

  /** Collects {@code key=value} for the options that were given. */
  public static final class Sugar {
    private final List<String> pairs = new ArrayList<>();

    public Sugar put(String key, Object value) {
      if (value != null) {
        pairs.add(key + "=" + value);
      }
      return this;
    }

    public List<String> pairs() {
      return pairs;
    }
  }
}
