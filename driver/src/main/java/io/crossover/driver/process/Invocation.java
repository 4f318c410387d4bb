package io.crossover.driver.process;

import java.io.File;
import java.util.List;

/**
 * This invocation of {@code crossover}: its installation directory and its arguments, so that code
 * below the command line can print a command to type again (after an interrupt, a failed run).
 */
public final class Invocation {
  private static volatile List<String> arguments = List.of();

  private Invocation() {}

  /** Records the arguments of this invocation (the command line does, before it runs one). */
  public static void set(String... args) {
    arguments = List.of(args);
  }

  /** The installation directory (set by bin/crossover), else the working directory. */
  public static File home() {
    return new File(System.getProperty("crossover.home", "."));
  }

  /**
   * This invocation as a command to type again, with {@code drop} options removed and {@code add}
   * appended, e.g. the resume command printed after an interrupt.
   */
  public static String commandLineWith(List<String> drop, String... add) {
    StringBuilder out = new StringBuilder(launcher());
    for (String a : arguments) {
      if (!drop.contains(a)) {
        out.append(' ').append(quote(a));
      }
    }
    for (String a : add) {
      out.append(' ').append(a);
    }
    return out.toString();
  }

  private static String launcher() {
    String home = System.getProperty("crossover.home");
    if (home == null) {
      return "crossover";
    }
    File launcher = new File(home, "bin/crossover");
    String cwd = new File("").getAbsolutePath();
    String path = launcher.getAbsolutePath();
    return path.startsWith(cwd + File.separator) ? path.substring(cwd.length() + 1) : path;
  }

  private static String quote(String a) {
    return a.matches("[A-Za-z0-9_./:=@,+-]+") ? a : "'" + a.replace("'", "'\\''") + "'";
  }
}
