package io.crossover.data.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, checked access to a HOCON tree that remembers every key it was asked for, so that keys
 * nobody asked for can be reported as unknown. Every failure is a {@link ConfigException} naming
 * the key, the value and where it came from.
 */
final class Keys {
  private final Config config;
  private final Set<String> known = new TreeSet<>();
  private final Set<String> openPrefixes = new TreeSet<>();

  Keys(Config config) {
    this.config = config;
  }

  String string(String key) {
    ConfigValue v = value(key);
    if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
      throw bad(key, v, "is a " + v.valueType().name().toLowerCase() + "; expected a string");
    }
    return String.valueOf(v.unwrapped());
  }

  String nonEmpty(String key, String hint) {
    String s = string(key).trim();
    if (s.isEmpty()) {
      throw new ConfigException(key, "is empty; " + hint);
    }
    return s;
  }

  <E extends Enum<E>> E choice(String key, Class<E> type) {
    // Values are written with '-' (left-to-right); the enum constant has '_'.
    String s = string(key).trim().replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(s)) {
        return e;
      }
    }
    List<String> allowed = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      allowed.add(e.name().toLowerCase().replace('_', '-'));
    }
    throw bad(key, value(key), "is not allowed; use one of " + String.join(", ", allowed));
  }

  /** A count such as {@code 4096}, {@code 96B} or {@code 256Ki}, within [min, max]. */
  long count(String key, long min, long max) {
    return whole(key, min, max, "write e.g. 4096, 64k, 96B or 256Ki");
  }

  /** A plain whole number (a seed, a thread count) within [min, max]; suffixes are accepted. */
  long number(String key, long min, long max) {
    return whole(key, min, max, "write a whole number, e.g. " + Math.max(min, Math.min(max, 42)));
  }

  private long whole(String key, long min, long max, String hint) {
    ConfigValue v = value(key);
    long n;
    try {
      Object raw = v.unwrapped();
      if (raw instanceof Number number) {
        double d = number.doubleValue();
        if (d != Math.rint(d)) {
          throw new NumberFormatException("not a whole number");
        }
        n = number.longValue();
      } else if (raw instanceof String s) {
        n = Counts.parse(s);
      } else {
        throw new NumberFormatException("not a number");
      }
    } catch (NumberFormatException e) {
      String reason = String.valueOf(e.getMessage());
      throw bad(
          key,
          v,
          (reason.startsWith("not ") ? "is " + reason : "is not a whole number (" + reason + ")")
              + "; "
              + hint);
    }
    if (n < min || n > max) {
      throw bad(
          key, v, "is out of range; allowed " + Counts.grouped(min) + ".." + Counts.grouped(max));
    }
    return n;
  }

  /** A whole number, or {@code fallback} when the key is null (e.g. "take it from the preset"). */
  int integerOr(String key, int fallback, int min, int max) {
    known.add(key);
    if (config.hasPathOrNull(key) && config.getIsNull(key)) {
      return fallback;
    }
    return integer(key, min, max);
  }

  int integer(String key, int min, int max) {
    return (int) number(key, min, max);
  }

  double fraction(String key, double min, double max) {
    ConfigValue v = value(key);
    double d;
    try {
      Object raw = v.unwrapped();
      d =
          raw instanceof Number n
              ? n.doubleValue()
              : Double.parseDouble(String.valueOf(raw).trim());
    } catch (NumberFormatException e) {
      throw bad(key, v, "is not a number; write e.g. 0.01");
    }
    if (!(d >= min && d <= max)) {
      throw bad(key, v, "is out of range; allowed " + min + ".." + max);
    }
    return d;
  }

  boolean bool(String key) {
    ConfigValue v = value(key);
    Object raw = v.unwrapped();
    if (raw instanceof Boolean b) {
      return b;
    }
    String s = String.valueOf(raw).trim().toLowerCase();
    if (s.equals("true") || s.equals("yes") || s.equals("on")) {
      return true;
    }
    if (s.equals("false") || s.equals("no") || s.equals("off")) {
      return false;
    }
    throw bad(key, v, "is not a boolean; use true or false");
  }

  /** A list of strings (a HOCON list, or one string). */
  List<String> strings(String key) {
    ConfigValue v = value(key);
    if (v.valueType() == ConfigValueType.LIST) {
      List<String> out = new ArrayList<>();
      for (Object o : (List<?>) v.unwrapped()) {
        out.add(String.valueOf(o));
      }
      return out;
    }
    String s = String.valueOf(v.unwrapped()).trim();
    return s.isEmpty() ? List.of() : List.of(s.split(","));
  }

  /** A free-form map of strings: every key below {@code key} is accepted as is. */
  Map<String, String> openMap(String key) {
    openPrefixes.add(key + ".");
    known.add(key);
    Map<String, String> out = new LinkedHashMap<>();
    if (!config.hasPath(key)) {
      return out;
    }
    ConfigValue v = config.getValue(key);
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw bad(key, v, "is not an object; write e.g. " + key + " { \"spark.foo\" = \"bar\" }");
    }
    for (Map.Entry<String, ConfigValue> e : config.getConfig(key).entrySet()) {
      out.put(e.getKey().replace("\"", ""), String.valueOf(e.getValue().unwrapped()));
    }
    return out;
  }

  /** Keys present in the tree that no part of the schema asked for, with a suggestion each. */
  List<String> unknownKeys() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, ConfigValue> e : config.entrySet()) {
      String path = e.getKey();
      if (known.contains(path) || openPrefixes.stream().anyMatch(path::startsWith)) {
        continue;
      }
      String hint = nearest(path);
      String origin = e.getValue().origin().description();
      out.add(
          "unknown config key '"
              + path
              + "' (from "
              + origin
              + ")"
              + (hint == null
                  ? "; see `crossover config show` for all keys"
                  : "; did you mean '" + hint + "'?"));
    }
    return out;
  }

  /** Where a key's value came from (a file and line, --set key, or the option typed). */
  String origin(String key) {
    return value(key).origin().description();
  }

  private ConfigValue value(String key) {
    known.add(key);
    if (!config.hasPathOrNull(key)) {
      throw new ConfigException(
          key, "is missing; set it in your config file or with --set " + key + "=...");
    }
    if (config.getIsNull(key)) {
      return ConfigValueFactory.fromAnyRef("", "null");
    }
    return config.getValue(key);
  }

  private static ConfigException bad(String key, ConfigValue v, String why) {
    String shown =
        v.valueType() == ConfigValueType.STRING
            ? "\"" + v.unwrapped() + "\""
            : String.valueOf(v.unwrapped());
    return new ConfigException(
        key, "value " + shown + " (from " + v.origin().description() + ") " + why);
  }

  private String nearest(String path) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    String leaf = path.substring(path.lastIndexOf('.') + 1);
    for (String candidate : known) {
      int d = distance(path, candidate);
      String candidateLeaf = candidate.substring(candidate.lastIndexOf('.') + 1);
      if (candidateLeaf.equals(leaf)) {
        d = Math.min(d, 1);
      }
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return bestDistance <= Math.max(3, path.length() / 4) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
