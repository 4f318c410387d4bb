package io.crossover.executor;

import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import java.util.ArrayList;
import java.util.List;

/** Configs for executor tests: the defaults plus overrides. */
public final class TestModels {
  private TestModels() {}

  public static CrossoverConfig config(String... overrides) {
    return ConfigLoader.load(null, new ArrayList<>(List.of(overrides)));
  }
}
