package io.crossover.driver.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What {@code nvidia-smi} says about this host's GPUs, where it is installed. */
public final class NvidiaSmi {
  private NvidiaSmi() {}

  /** The product name of every GPU (e.g. "NVIDIA H100 80GB HBM3"); empty without nvidia-smi. */
  public static List<String> names() {
    try {
      Process p =
          new ProcessBuilder("nvidia-smi", "--query-gpu=name", "--format=csv,noheader")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        return List.of();
      }
      return out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    } catch (IOException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }
}
