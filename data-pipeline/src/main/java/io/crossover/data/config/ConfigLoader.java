package io.crossover.data.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.crossover.data.Json;
import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the one {@link CrossoverConfig} of a job from three layers, later ones winning: the
 * defaults ({@code conf/crossover.conf}, shipped in the jar), a user file (a path, or the name of a
 * file in {@code conf/}), and {@code --set key=value} overrides. Everything is checked before any
 * work starts: unknown keys, wrong types and values out of range fail with the key's name.
 */
public final class ConfigLoader {
  /** Classpath directory holding the contents of the repository's {@code conf/}. */
  public static final String CONF_RESOURCE_DIR = "crossover-conf/";

  private ConfigLoader() {}

  /** Loads defaults + optional user file (null for none) + overrides. */
  public static CrossoverConfig load(String userFile, List<String> overrides) {
    return bind(layers(userFile, overrides));
  }

  /** The merged HOCON tree before binding. */
  static Config layers(String userFile, List<String> overrides) {
    Config merged = parseOverrides(overrides);
    if (userFile != null) {
      merged = merged.withFallback(userLayer(userFile));
    }
    return merged.withFallback(defaults()).resolve();
  }

  /**
   * Reads a resolved config saved as JSON (config.json in a run, or the copy shipped to tasks).
   * Keys added to Crossover after the file was written take their defaults, so older runs stay
   * readable.
   */
  public static CrossoverConfig fromJson(String json) {
    return bind(
        ConfigFactory.parseString(
                json, ConfigParseOptions.defaults().setOriginDescription("config.json"))
            .withFallback(defaults()));
  }

  /** The resolved config as JSON; {@link #fromJson} reads it back to an equal record. */
  public static String toJson(CrossoverConfig config) {
    return Json.write(config);
  }

  static CrossoverConfig bind(Config config) {
    Keys keys = new Keys(config);
    CrossoverConfig bound = CrossoverConfig.from(keys);
    List<String> unknown = keys.unknownKeys();
    if (!unknown.isEmpty()) {
      throw new ConfigException(null, String.join("\n", unknown));
    }
    return bound;
  }

  static Config defaults() {
    Config defaults =
        ConfigFactory.parseResources(
            ConfigLoader.class.getClassLoader(),
            CONF_RESOURCE_DIR + "crossover.conf",
            ConfigParseOptions.defaults().setAllowMissing(false));
    return defaults;
  }

  private static Config userLayer(String userFile) {
    File file = new File(userFile);
    ConfigParseOptions strict = ConfigParseOptions.defaults().setAllowMissing(false);
    try {
      if (file.isFile()) {
        return ConfigFactory.parseFile(file, strict);
      }
      String name = userFile.endsWith(".conf") ? userFile : userFile + ".conf";
      if (ConfigLoader.class.getClassLoader().getResource(CONF_RESOURCE_DIR + name) != null) {
        return ConfigFactory.parseResources(
            ConfigLoader.class.getClassLoader(), CONF_RESOURCE_DIR + name, strict);
      }
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(
          null, "cannot parse config file " + userFile + ": " + e.getMessage());
    }
    throw new ConfigException(
        null, "config file '" + userFile + "' not found (neither a file nor a name in conf/)");
  }

  /** Parses {@code key=value} pairs. Values are HOCON where they parse, plain strings otherwise. */
  static Config parseOverrides(List<String> overrides) {
    Config out = ConfigFactory.empty();
    List<String> seen = new ArrayList<>();
    for (String override : overrides) {
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException(
            null, "--set expects key=value, got '" + override + "'; e.g. --set budget.seq-len=256");
      }
      String key = override.substring(0, eq).trim();
      String value = override.substring(eq + 1).trim();
      try {
        ConfigUtil.splitPath(key);
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(
            null, "--set " + override + ": '" + key + "' is not a config key");
      }
      if (seen.contains(key)) {
        throw new ConfigException(key, "is set twice on the command line; keep one --set " + key);
      }
      seen.add(key);
      // Only lists, objects and quoted strings are parsed as HOCON: a bare value stays a
      // string, so "/data//x" is not cut at "//" (a HOCON comment). Keys convert numbers.
      ConfigParseOptions origin =
          ConfigParseOptions.defaults().setOriginDescription("--set " + key);
      ConfigValue parsed = ConfigValueFactory.fromAnyRef(value, "--set " + key);
      if (value.startsWith("[") || value.startsWith("{") || value.startsWith("\"")) {
        try {
          parsed = ConfigFactory.parseString("v = " + value, origin).getValue("v");
        } catch (com.typesafe.config.ConfigException e) {
          throw new ConfigException(
              key, "value " + value + " (from --set) is not valid HOCON: " + e.getMessage());
        }
      }
      Config layer = ConfigFactory.empty().withValue(key, parsed);
      out = layer.withFallback(out);
    }
    return out;
  }
}
