package io.crossover.data.plan;

import io.crossover.data.UserException;

/** A budget that cannot be planned. Names the key and the nearest valid values. */
public final class PlanException extends UserException {
  private static final long serialVersionUID = 1L;

  public PlanException(String key, String message) {
    super("config key '" + key + "': " + message);
  }
}
