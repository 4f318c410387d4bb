package io.crossover.data;

/**
 * A mistake the user can fix: a bad config value, argument, budget, input or task file. The CLI
 * maps this type (and only this type) to exit code 2 and prints its message alone, so the message
 * names what is wrong (the key, option or file) and how to fix it.
 */
public class UserException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public UserException(String message) {
    super(message);
  }

  public UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
