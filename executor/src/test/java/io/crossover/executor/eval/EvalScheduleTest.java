package io.crossover.executor.eval;

import static io.crossover.data.config.TrainConfig.PrecisionSetting.FP32;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.crossover.data.config.EvalConfig;
import io.crossover.data.plan.PlanSpec;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class EvalScheduleTest {
  static TokenPlan plan(long unique, long total) {
    int[] docs = new int[100];
    Arrays.fill(docs, 1000);
    Manifest.Split train = new Manifest.Split("train", 100_000, 100, List.of(), null);
    Manifest m =
        new Manifest(
            1,
            "byte",
            259,
            new SpecialTokens(256, 257, 258, List.of()),
            64,
            null,
            null,
            train,
            train);
    return TokenPlan.create(m, docs, new PlanSpec(unique, total, 10, 10, 1, 1));
  }

  @Test
  void startEndEpochsAndEvenlySpacedPoints() {
    // 100 tokens per step; U = 2,500 tokens = 25 steps; T = 100 steps = 4 epochs.
    TokenPlan p = plan(2_500, 10_000);
    EvalConfig epochs =
        new EvalConfig(
            true, 0, 0, 0, 0, 1, List.of(), 0, 0, 1, 1, EvalConfig.MdmScoring.SAMPLED, FP32, 1);
    assertEquals(new TreeSet<>(List.of(0L, 25L, 50L, 75L, 100L)), EvalSchedule.steps(p, epochs));
    EvalConfig points =
        new EvalConfig(
            false, 0, 3, 0, 0, 1, List.of(), 0, 0, 1, 1, EvalConfig.MdmScoring.SAMPLED, FP32, 1);
    assertEquals(new TreeSet<>(List.of(0L, 33L, 67L, 100L)), EvalSchedule.steps(p, points));
    EvalConfig tokens =
        new EvalConfig(
            false,
            4_000,
            0,
            0,
            0,
            1,
            List.of(),
            0,
            0,
            1,
            1,
            EvalConfig.MdmScoring.SAMPLED,
            FP32,
            1);
    assertEquals(new TreeSet<>(List.of(0L, 40L, 80L, 100L)), EvalSchedule.steps(p, tokens));
  }

  @Test
  void logSpacedPointsFromTheFirstEpochsEnd() {
    // U = 400 tokens = 4 steps; T = 100 steps = 25 epochs: 4, 9, 20, 45 (rounded), 100.
    TokenPlan p = plan(400, 10_000);
    EvalConfig log =
        new EvalConfig(
            false, 0, 0, 5, 0, 1, List.of(), 0, 0, 1, 1, EvalConfig.MdmScoring.SAMPLED, FP32, 1);
    assertEquals(new TreeSet<>(List.of(0L, 4L, 9L, 20L, 45L, 100L)), EvalSchedule.steps(p, log));
  }
}
