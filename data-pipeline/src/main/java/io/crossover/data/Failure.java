package io.crossover.data;

/**
 * A failure while working (I/O, corrupt data, a lost rank) whose message is written for the user:
 * the CLI prints it as one line with exit code 1 and keeps the stack trace for the log file.
 */
public class Failure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public Failure(String message) {
    super(message);
  }

  public Failure(String message, Throwable cause) {
    super(message, cause);
  }
}
