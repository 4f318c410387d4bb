package io.crossover.data.config;

import io.crossover.data.UserException;

/**
 * A configuration that cannot be used. The message always names the key, the value found and what
 * is allowed, so that a user can fix it without reading code.
 */
public final class ConfigException extends UserException {
  private static final long serialVersionUID = 1L;
  private final String key;

  public ConfigException(String key, String message) {
    super(key == null ? message : "config key '" + key + "': " + message);
    this.key = key;
  }

  /** The dotted config key at fault, or null when the problem is not tied to one key. */
  public String key() {
    return key;
  }
}
