package io.crossover.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code crossover doctor --executors}: each executor JVM reports what a rank would see. */
class DoctorIT {
  @Test
  void everyExecutorReportsItsNativesDevicesAndThreads() {
    SweepIT.Result r = SweepIT.crossover("doctor", "--executors");
    assertEquals(0, r.code(), r.out());
    for (String task : new String[] {"== task 0", "== task 1"}) {
      int at = r.out().indexOf(task);
      assertTrue(at >= 0, r.out());
      String block = r.out().substring(at);
      assertTrue(block.matches("(?s).*natives loaded[^\\n]*/libtorch_cpu\\.so.*"), block);
      assertTrue(block.matches("(?s).*train\\.device=auto\\s+cpu\\(\\).*"), block);
      assertTrue(block.matches("(?s).*torch threads\\s+1 intra-op.*"), block);
    }
    assertTrue(
        r.out()
            .matches(
                "(?s).*== task 0\\s+executor\\s+(\\d+).*== task 1\\s+executor\\s+(?!\\1)\\d+.*"),
        "two different executor JVMs: " + r.out());
  }
}
