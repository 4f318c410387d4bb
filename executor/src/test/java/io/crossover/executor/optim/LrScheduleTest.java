package io.crossover.executor.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossover.executor.TestModels;
import org.junit.jupiter.api.Test;

class LrScheduleTest {
  @Test
  void wsdWarmsUpHoldsThenDecaysToTheFloor() {
    LrSchedule s =
        new LrSchedule(
            TestModels.config(
                    "optim.lr=1e-3",
                    "optim.min-lr=1e-4",
                    "optim.warmup-steps=10",
                    "optim.decay-fraction=0.2")
                .optim(),
            100);
    assertEquals(1e-4, s.at(0), 1e-12);
    assertEquals(1e-3, s.at(9), 1e-12);
    assertEquals(1e-3, s.at(50), 1e-12);
    assertEquals(1e-3, s.at(79), 1e-12);
    assertEquals(1e-3 + (1e-4 - 1e-3) * 0.05, s.at(80), 1e-12);
    assertEquals(1e-4, s.at(99), 1e-12);
  }

  @Test
  void cosineWarmsUpThenFollowsHalfACosine() {
    LrSchedule s =
        new LrSchedule(
            TestModels.config(
                    "optim.lr=1e-3",
                    "optim.min-lr=0",
                    "optim.warmup-steps=10",
                    "optim.schedule=cosine")
                .optim(),
            110);
    assertEquals(1e-3, s.at(10), 1e-12);
    assertEquals(5e-4, s.at(60), 1e-12);
    assertEquals(0, s.at(110), 1e-12);
  }
}
