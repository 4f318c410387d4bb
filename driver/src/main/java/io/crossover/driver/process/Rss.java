package io.crossover.driver.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident set from /proc (Linux): now, its peak, and a reset of the peak. */
public final class Rss {
  private static final Path STATUS = Path.of("/proc/self/status");

  private Rss() {}

  /** Resident bytes now (-1 where /proc is missing). */
  public static long current() {
    return field("VmRSS:");
  }

  /** Peak resident bytes since start or the last {@link #resetPeak()} (-1 where unknown). */
  public static long peak() {
    return field("VmHWM:");
  }

  /** Sets the peak to the current resident set (writing 5 to clear_refs); false where refused. */
  public static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
        if (line.startsWith(name)) {
          return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
