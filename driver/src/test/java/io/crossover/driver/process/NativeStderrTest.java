package io.crossover.driver.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In a separate JVM (the redirect changes the process's descriptor 2): what native code writes to
 * stderr goes to the log file, what Java writes to System.err stays on the console.
 */
class NativeStderrTest {
  @TempDir Path tmp;

  interface Write extends Library {
    long write(int fd, byte[] bytes, long count);
  }

  /** The child: redirect, then write natively and from Java. */
  public static void main(String[] args) {
    boolean done = NativeStderr.toLogFile(args[0]);
    byte[] nativeLine = "[W native warning from C++]\n".getBytes(StandardCharsets.UTF_8);
    Native.load("c", Write.class).write(2, nativeLine, nativeLine.length);
    System.err.println("crossover: error: a line for the user");
    System.out.println("redirected " + done);
  }

  @Test
  void nativeStderrGoesToTheLogFileAndJavaStderrStaysOnTheConsole() throws Exception {
    Path log = tmp.resolve("crossover.log");
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (flag.startsWith("--add-")) {
        command.add(flag);
      }
    }
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            NativeStderrTest.class.getName(),
            log.toString()));
    Path out = tmp.resolve("out");
    Path err = tmp.resolve("err");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    assertEquals(0, p.waitFor());
    assertEquals("redirected true", Files.readString(out).strip());
    String console = Files.readString(err);
    String file = Files.readString(log);
    assertTrue(console.contains("crossover: error: a line for the user"), console);
    assertFalse(console.contains("native warning"), console);
    assertTrue(file.contains("[W native warning from C++]"), file);
    assertFalse(file.contains("a line for the user"), file);
  }
}
