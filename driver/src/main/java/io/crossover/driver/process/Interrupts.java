package io.crossover.driver.process;

import java.io.PrintStream;
import java.util.function.Supplier;

/**
 * Ctrl-C (SIGINT) and SIGTERM while a command works: the command has said what to print (where it
 * stopped, what is intact, how to go on); that is printed once, and the JVM exits with 130. Any
 * exception the main thread then meets while Spark and the filesystems shut down is the echo of the
 * interrupt, and the command line keeps it off the console.
 */
public final class Interrupts {
  private static volatile Supplier<String> message;
  private static volatile boolean interrupted;
  private static volatile boolean installed;

  private Interrupts() {}

  /** What to print if the user interrupts from now on; null restores the plain notice. */
  public static void onInterrupt(Supplier<String> what) {
    install();
    message = what;
  }

  public static boolean interrupted() {
    return interrupted;
  }

  private static synchronized void install() {
    if (installed) {
      return;
    }
    installed = true;
    try {
      for (String name : new String[] {"INT", "TERM"}) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop(System.err));
      }
    } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
      // A JVM that reserves these signals keeps its default: exit without our summary.
    }
  }

  private static void stop(PrintStream err) {
    if (interrupted) {
      Runtime.getRuntime().halt(130); // A second Ctrl-C: do not wait for shutdown hooks.
    }
    interrupted = true;
    Logs.quietThirdParties();
    Supplier<String> what = message;
    String text;
    try {
      text = what == null ? "crossover: interrupted" : what.get();
    } catch (RuntimeException e) {
      text = "crossover: interrupted (" + e.getMessage() + ")";
    }
    err.println();
    err.println(text);
    err.flush();
    System.exit(130);
  }
}
