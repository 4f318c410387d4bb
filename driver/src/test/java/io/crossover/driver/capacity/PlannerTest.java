package io.crossover.driver.capacity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.driver.cli.Cli;
import io.crossover.driver.cli.CrossoverCommand;
import org.junit.jupiter.api.Test;

/** {@code model} and {@code estimate} from shapes alone, for the paper's grid. */
class PlannerTest {
  @Test
  void theOneBillionShapeFitsAnH100RankInBf16WithMicroBatchesAndItsBucketsStayUnderTheLimit() {
    Cli.Result r =
        Cli.run(
                "model",
                "--preset",
                "1b",
                "--vocab",
                "50304",
                "--set",
                "budget.seq-len=2048",
                "--set",
                "budget.global-batch=256",
                "--set",
                "cluster.world-size=64",
                "--set",
                "train.micro-batch=4")
            .expect(0, null);
    assertTrue(r.out().contains("1,176,341,760 parameters"), r.out());
    assertTrue(r.out().contains("largest 25.0 MiB"), r.out());
    assertTrue(r.out().contains("with the finite flag and the loss"), r.out());
  }

  @Test
  void estimatePricesEveryRunOfTheSweep() {
    Cli.Result r =
        Cli.run("estimate", "paper-1b", "--gpu", "h100", "--vocab", "50304").expect(0, null);
    assertTrue(r.out().contains("H100"), r.out());
    assertTrue(r.out().contains("mdm-u93749760Ki"), r.out());
    assertTrue(r.out().contains("total: 10 run(s)"), r.out());
    Cli.run("estimate", "paper-1b", "--gpu", "tpu")
        .expect(CrossoverCommand.EXIT_USAGE, "crossover estimate: error: --gpu tpu is not a GPU");
  }
}
