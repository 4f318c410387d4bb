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
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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

  /**
   * One {@code key=value} from the command line, with what the user typed to give it (an option
   * such as {@code --objective}, or {@code --set key}), which error messages quote.
   */
  public record Setting(String key, String value, String origin) {
    /** Parses {@code key=value} as given to {@code --set}. */
    public static Setting ofSet(String pair) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException(
            null, "--set expects key=value, got '" + pair + "'; e.g. --set budget.seq-len=256");
      }
      String key = pair.substring(0, eq).trim();
      return new Setting(key, pair.substring(eq + 1).trim(), "--set " + key);
    }
  }

  /** Loads defaults + optional user file (null for none) + {@code --set key=value} overrides. */
  public static CrossoverConfig load(String userFile, List<String> overrides) {
    List<Setting> parsed = new ArrayList<>();
    for (String o : overrides) {
      parsed.add(Setting.ofSet(o));
    }
    return loadOverrides(userFile, parsed);
  }

  /** Loads defaults + optional user file (null for none) + overrides that know their origin. */
  public static CrossoverConfig loadOverrides(String userFile, List<Setting> overrides) {
    return bind(layers(userFile, overrides));
  }

  /** The merged HOCON tree before binding. */
  static Config layers(String userFile, List<Setting> overrides) {
    Config merged = parseOverrides(overrides);
    if (userFile != null) {
      merged = merged.withFallback(userLayer(userFile));
    }
    try {
      return merged.withFallback(defaults()).resolve();
      // Typesafe's ConfigException, qualified: ours (io.crossover.data.config) has its name.
    } catch (com.typesafe.config.ConfigException.UnresolvedSubstitution e) {
      throw new ConfigException(
          null,
          e.getMessage().replace("Could not resolve substitution to a value", "unresolved")
              + "; define it in the file, export it as an environment variable, or write ${?NAME}"
              + " for an optional one");
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(null, "cannot resolve the config: " + e.getMessage());
    }
  }

  /**
   * Reads a resolved config saved as JSON (config.json in a run, or the copy shipped to tasks).
   * Keys added to Crossover after the file was written take their defaults, so older runs stay
   * readable.
   */
  public static CrossoverConfig fromJson(String json) {
    Config saved =
        ConfigFactory.parseString(
            json, ConfigParseOptions.defaults().setOriginDescription("config.json"));
    // Runs saved before the rename wrote "exact" for what is now called left-to-right.
    if (saved.hasPath(LEGACY_SCORING)
        && saved.getString(LEGACY_SCORING).equalsIgnoreCase("exact")) {
      saved = saved.withValue(LEGACY_SCORING, ConfigValueFactory.fromAnyRef("left-to-right"));
    }
    return bind(saved.withFallback(defaults()));
  }

  private static final String LEGACY_SCORING = "eval.mdm-scoring";

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

  /** Parses overrides. Values are HOCON where they parse, plain strings otherwise. */
  static Config parseOverrides(List<Setting> overrides) {
    Config out = ConfigFactory.empty();
    Map<String, String> seen = new HashMap<>();
    for (Setting override : overrides) {
      String key = override.key();
      String value = override.value();
      try {
        ConfigUtil.splitPath(key);
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(
            null, override.origin() + "=" + value + ": '" + key + "' is not a config key");
      }
      String first = seen.putIfAbsent(key, override.origin());
      if (first != null) {
        throw new ConfigException(
            key,
            first.equals(override.origin())
                ? "is set twice on the command line; keep one " + first
                : "is set by both " + first + " and " + override.origin() + "; keep one");
      }
      // Only lists, objects and quoted strings are parsed as HOCON: a bare value stays a
      // string, so "/data//x" is not cut at "//" (a HOCON comment). Keys convert numbers.
      ConfigParseOptions origin =
          ConfigParseOptions.defaults().setOriginDescription(override.origin());
      ConfigValue parsed = ConfigValueFactory.fromAnyRef(value, override.origin());
      if (value.startsWith("[") || value.startsWith("{") || value.startsWith("\"")) {
        try {
          parsed = ConfigFactory.parseString("v = " + value, origin).getValue("v");
        } catch (com.typesafe.config.ConfigException e) {
          throw new ConfigException(
              key,
              "value "
                  + value
                  + " (from "
                  + override.origin()
                  + ") is not valid HOCON: "
                  + e.getMessage());
        }
      }
      Config layer = ConfigFactory.empty().withValue(key, parsed);
      out = layer.withFallback(out);
    }
    return out;
  }
}
