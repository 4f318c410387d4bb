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
  void groupedQueryAttentionShrinksTheKeyAndValueProjections() {
    Cli.Result mha = Cli.run("model", "--preset", "1.7b", "--vocab", "50304").expect(0, null);
    Cli.Result gqa =
        Cli.run("model", "--preset", "1.7b", "--vocab", "50304", "--set", "model.kv-heads=8")
            .expect(0, null);
    assertTrue(gqa.out().contains("16 heads (head dim 128; 8 key/value heads)"), gqa.out());
    assertTrue(mha.out().contains("16 heads (head dim 128)"), mha.out());
    // 28 layers x 2 projections x 2048 x (2048 - 1024) = 117,440,512 fewer weights.
    assertTrue(mha.out().contains("1,732,895,744 parameters"), mha.out());
    assertTrue(gqa.out().contains("1,615,455,232 parameters"), gqa.out());
    Cli.run("model", "--preset", "tiny", "--set", "model.kv-heads=3")
        .expect(2, "crossover model: error: config key 'model.kv-heads': value 3 does not divide");
  }

  @Test
  void recomputationIsPlannedAndRefusedWithDropout() {
    Cli.Result r =
        Cli.run(
                "model",
                "--preset",
                "small",
                "--set",
                "budget.seq-len=2048",
                "--set",
                "budget.global-batch=4",
                "--set",
                "cluster.world-size=1")
            .expect(0, null);
    assertTrue(r.out().contains("total on the device               2.185"), r.out());
    assertTrue(r.out().contains("  ... recompute blocks            0.839"), r.out());
    Cli.run(
            "model",
            "--preset",
            "tiny",
            "--set",
            "objective.type=ar+drop0.1",
            "--set",
            "train.recompute=blocks")
        .expect(2, "crossover model: error: config key 'train.recompute': value blocks runs each");
  }

  @Test
  void modelJsonHoldsTheTablesFigures() throws Exception {
    String[] args = {
      "model", "--preset", "8b", "--vocab", "128256", "--set", "train.micro-batch=1"
    };
    Cli.Result table = Cli.run(args).expect(0, null);
    String[] json = java.util.Arrays.copyOf(args, args.length + 1);
    json[args.length] = "--json";
    com.fasterxml.jackson.databind.JsonNode o =
        io.crossover.data.Json.MAPPER.readTree(Cli.run(json).expect(0, null).out());
    assertTrue(o.get("parameters").asLong() == 8_030_269_440L, o.toString());
    assertTrue(o.get("kv-heads").asInt() == 8, o.toString());
    assertTrue(o.get("memory-per-rank").size() == 8, "2 precisions x 2 kernels x 2 recompute");
    com.fasterxml.jackson.databind.JsonNode first = o.get("memory-per-rank").get(0);
    assertTrue(first.get("precision").asText().equals("fp32"), first.toString());
    String total =
        String.format(
            java.util.Locale.ROOT,
            "%-26s %12.3f",
            "total on the device",
            first.get("device").asLong() / (double) (1L << 30));
    assertTrue(table.out().contains(total), total + "\n" + table.out());
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
