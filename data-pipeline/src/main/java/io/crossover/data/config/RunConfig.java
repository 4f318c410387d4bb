package io.crossover.data.config;

import java.io.Serializable;

/**
 * Identity of a run.
 *
 * @param seed seeds the document shuffle, the per-epoch permutations and every random draw
 * @param root directory under which run directories are created
 * @param name the run directory's name under {@code root}
 */
public record RunConfig(long seed, String root, String name) implements Serializable {

  static RunConfig from(Keys k) {
    String name = k.nonEmpty("run.name", "give the run a name, e.g. ar-u256k");
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new ConfigException(
          "run.name",
          "value \""
              + name
              + "\" is not a valid directory name; use letters, digits, '.', '_' and '-'");
    }
    return new RunConfig(
        k.number("run.seed", 0, Long.MAX_VALUE),
        k.nonEmpty("run.root", "give a directory, e.g. runs or hdfs:///crossover/runs"),
        name);
  }
}
