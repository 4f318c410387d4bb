package io.crossover.data.ingest;

import io.crossover.data.UserException;

/**
 * Input that cannot be ingested as configured (malformed JSON, a missing field). Names the file.
 */
public final class InputException extends UserException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
