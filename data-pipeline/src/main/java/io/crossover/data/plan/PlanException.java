package io.crossover.data.plan;

/** A budget that cannot be planned. Names the key and the nearest valid values. */
public final class PlanException extends io.crossover.data.UserException {
  private static final long serialVersionUID = 1L;

  public PlanException(String key, String message) {
    super("config key '" + key + "': " + message);
  }
}
