package io.crossover.driver.process;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;

/**
 * Sends what native code writes to stderr — libtorch's C++ warnings ("AutoNonVariableTypeMode is
 * deprecated", printed on the first no-grad fused attention), the JVM's own notes — to the log file
 * of this invocation, while Java's {@code System.err} (Crossover's errors and warnings) stays on
 * the console: file descriptor 2 is pointed at the log file and {@code System.err} at a duplicate
 * of the console's. Linux and macOS; anywhere it cannot be done, stderr stays as it was.
 */
public final class NativeStderr {
  private NativeStderr() {}

  /** The C library calls used: duplicate a descriptor, and point one at another's file. */
  interface C extends Library {
    int dup(int fd);

    int dup2(int from, int to);
  }

  /** Redirects native stderr to {@code logFile}; returns whether it did. */
  public static boolean toLogFile(String logFile) {
    try {
      C c = Native.load("c", C.class);
      FileOutputStream log = new FileOutputStream(logFile, true);
      int console = c.dup(2);
      if (console < 0) {
        log.close();
        return false;
      }
      PrintStream err =
          new PrintStream(new FileOutputStream(descriptor(console)), true, StandardCharsets.UTF_8);
      System.out.flush();
      System.err.flush();
      if (c.dup2(number(log.getFD()), 2) < 0) {
        log.close();
        return false;
      }
      // The log file's descriptor now lives on as 2; this stream's copy is not needed.
      log.close();
      System.setErr(err);
      return true;
    } catch (Throwable e) {
      return false;
    }
  }

  private static FileDescriptor descriptor(int fd) throws ReflectiveOperationException {
    FileDescriptor d = new FileDescriptor();
    Field f = FileDescriptor.class.getDeclaredField("fd");
    f.setAccessible(true);
    f.setInt(d, fd);
    return d;
  }

  private static int number(FileDescriptor d) throws ReflectiveOperationException {
    Field f = FileDescriptor.class.getDeclaredField("fd");
    f.setAccessible(true);
    return f.getInt(d);
  }
}
