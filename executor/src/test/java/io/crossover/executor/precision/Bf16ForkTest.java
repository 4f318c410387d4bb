package io.crossover.executor.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What "no bf16 reaches DJL" protects against, in JVMs of their own: DJL 0.33 asked the type of a
 * bf16 tensor takes the whole JVM down (so the control must fork), while bf16 training through
 * Crossover's model, both objectives, both attention kernels, micro-batches and evaluation, runs to
 * the end.
 */
class Bf16ForkTest {
  record Exit(int code, String output) {}

  static Exit fork(String mode) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                List.of(
                    java,
                    "-cp",
                    System.getProperty("java.class.path"),
                    "-Dai.djl.pytorch.num_threads=1",
                    Bf16Probe.class.getName(),
                    mode))
            .redirectErrorStream(true)
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), mode + " did not end");
    return new Exit(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @Test
  void djlAskedTheTypeOfABf16TensorTakesTheJvmDown() throws Exception {
    Exit e = fork("djl-reads-bf16");
    assertNotEquals(0, e.code(), e.output());
    assertFalse(e.output().contains("survived"), e.output());
  }

  @Test
  void bf16TrainingThroughTheModelNeverHandsDjlABf16Tensor() throws Exception {
    Exit e = fork("train");
    assertEquals(0, e.code(), e.output());
    assertTrue(e.output().contains("trained"), e.output());
  }
}
