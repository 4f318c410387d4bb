package io.crossover.driver.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What {@code nvidia-smi} says about this host's GPUs, where it is installed. */
public final class NvidiaSmi {
  private NvidiaSmi() {}

  /** The product name of every GPU (e.g. "NVIDIA H100 80GB HBM3"); empty without nvidia-smi. */
  public static List<String> names() {
    Path out = null;
    try {
      out = Files.createTempFile("nvidia-smi", ".txt");
      // Output to a file, so that a hung nvidia-smi (a wedged driver) costs the timeout, not a
      // read that never ends.
      Process p =
          new ProcessBuilder("nvidia-smi", "--query-gpu=name", "--format=csv,noheader")
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return List.of();
      }
      if (p.exitValue() != 0) {
        return List.of();
      }
      return Files.readString(out, StandardCharsets.UTF_8)
          .lines()
          .map(String::strip)
          .filter(l -> !l.isEmpty())
          .toList();
    } catch (IOException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    } finally {
      if (out != null) {
        out.toFile().delete();
      }
    }
  }
}
