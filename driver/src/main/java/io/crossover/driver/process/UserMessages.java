package io.crossover.driver.process;

import io.crossover.data.Failure;
import io.crossover.data.UserException;
import java.util.List;

/**
 * What a user reads about a failure: the message of a {@link UserException} or {@link Failure}
 * anywhere in the causes, else the first message that is not a Spark or Scala wrapper.
 */
public final class UserMessages {
  /** Exceptions whose message makes no sense without their type. */
  private static final List<Class<?>> BUG_TYPES =
      List.of(
          NullPointerException.class,
          ClassCastException.class,
          IndexOutOfBoundsException.class,
          ArrayIndexOutOfBoundsException.class,
          ArithmeticException.class,
          UnsupportedOperationException.class,
          OutOfMemoryError.class,
          StackOverflowError.class);

  private UserMessages() {}

  /** The user's mistake in the causes of {@code e}, or null. */
  public static UserException userMistake(Throwable e) {
    return find(e, UserException.class);
  }

  /** What the command line prints for {@code e}, without the command's name. */
  public static String describeForUser(Throwable e) {
    UserException user = userMistake(e);
    return user != null ? user.getMessage() : describe(e);
  }

  /**
   * The message a user should read: a {@link Failure}'s, else the first message in the causes that
   * is not a Spark or Scala wrapper (those repeat a remote stack trace as text).
   */
  public static String describe(Throwable e) {
    Failure failure = find(e, Failure.class);
    if (failure != null) {
      return firstLine(failure.getMessage());
    }
    Throwable last = e;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      last = t;
      String type = t.getClass().getName();
      if (t.getMessage() != null
          && !type.startsWith("org.apache.spark.")
          && !type.startsWith("scala.")) {
        return firstLine(
            BUG_TYPES.contains(t.getClass())
                ? t.getClass().getSimpleName() + ": " + t.getMessage()
                : t.getMessage());
      }
    }
    return last.getClass().getSimpleName();
  }

  /** The first line of {@code s} ("" for null). */
  public static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static <T extends Throwable> T find(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
