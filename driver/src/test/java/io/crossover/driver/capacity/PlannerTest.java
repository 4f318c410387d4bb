package io.crossover.driver.capacity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.driver.cli.Cli;
import io.crossover.driver.cli.CrossoverCommand;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
    assertTrue(
        r.out()
            .contains(String.format(Locale.ROOT, "%-26s %12.3f", "  device, none, blocks", 0.839)),
        r.out());
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
    String[] json = Arrays.copyOf(args, args.length + 1);
    json[args.length] = "--json";
    JsonNode o = Json.MAPPER.readTree(Cli.run(json).expect(0, null).out());
    assertTrue(o.get("parameters").asLong() == 8_030_269_440L, o.toString());
    assertTrue(o.get("kv-heads").asInt() == 8, o.toString());
    assertTrue(
        o.get("memory-per-rank").size() == 24,
        "3 shard modes x 2 recompute x 2 kernels x 2 precisions");
    JsonNode first = o.get("memory-per-rank").get(0);
    assertTrue(first.get("shard").asText().equals("none"), first.toString());
    assertTrue(first.get("precision").asText().equals("fp32"), first.toString());
    String total =
        String.format(
            Locale.ROOT,
            "%-26s %12.3f",
            "total on the device",
            first.get("device").asLong() / (double) (1L << 30));
    assertTrue(table.out().contains(total), total + "\n" + table.out());
  }

  /**
   * The sharded optimiser's plan: 1/W of the moments per rank, ZeRO-2's host buffers a shard and
   * two buckets and its device gradients a fraction of them; and it is what lets the 8B sweep fit
   * an H100 where the unsharded one does not.
   */
  @Test
  void aShardedOptimizerIsPlannedAndFitsThe8bSweepOnH100s() throws Exception {
    Plan8b plan = plan8b(0);
    long p = plan.parameters();
    Map<String, JsonNode> byShard = plan.byShard();
    assertTrue(byShard.get("none").get("optimizer").asLong() == 8 * p);
    assertTrue(byShard.get("optimizer").get("optimizer").asLong() == 8 * ((p + 63) / 64));
    assertTrue(byShard.get("gradients").get("optimizer").asLong() == 8 * ((p + 63) / 64));
    assertTrue(byShard.get("optimizer").get("host-buffers").asLong() > 4 * p);
    assertTrue(
        byShard.get("gradients").get("host-buffers").asLong() < 4 * p / 32,
        byShard.get("gradients").toString());
    // The device keeps every gradient unless ZeRO-2 frees each once its bucket is out, which it
    // can only where a step is one forward pass: micro-steps add them up on the device.
    assertEquals(4 * p, byShard.get("optimizer").get("gradients").asLong());
    assertTrue(
        byShard.get("gradients").get("gradients").asLong() < 4 * p / 8,
        byShard.get("gradients").toString());
    assertEquals(4 * p, plan8b(1).byShard().get("gradients").get("gradients").asLong());
    String sheet = Cli.run(model8b(1)).expect(0, null).out();
    assertTrue(sheet.contains("add up over the step's 4 forward passes"), sheet);
    Cli.Result sharded =
        Cli.run("estimate", "paper-8b", "--gpu", "h100", "--vocab", "50304").expect(0, null);
    assertTrue(
        sharded.out().contains("   yes") && !sharded.out().contains("    NO"), sharded.out());
    Cli.Result whole =
        Cli.run(
                "estimate",
                "paper-8b",
                "--gpu",
                "h100",
                "--vocab",
                "50304",
                "--set",
                "optim.shard=none")
            .expect(0, null);
    assertTrue(whole.out().contains("    NO"), whole.out());
    assertTrue(whole.out().contains("optim.shard=optimizer|gradients"), whole.out());
  }

  /**
   * Where no setting the advice names makes a rank fit, it says so with the least a rank can need,
   * worked out from the memory model, and what would fit instead; where some do, it names only
   * those the runs do not have yet.
   */
  @Test
  void whenNoSettingFitsTheEstimateSaysSoAndWhatWould() throws Exception {
    Cli.Result l4 =
        Cli.run("estimate", "paper-8b", "--gpu", "l4", "--vocab", "50304").expect(0, null);
    // The least of model's rows for paper-8b's shape and buckets in bf16 (what "auto" plans on a
    // GPU) at one sequence per rank over the most ranks its global batch of 256 allows.
    JsonNode least =
        Json.MAPPER.readTree(
            Cli.run(
                    "model",
                    "--preset",
                    "8b",
                    "--vocab",
                    "50304",
                    "--set",
                    "cluster.world-size=256",
                    "--set",
                    "budget.global-batch=256",
                    "--set",
                    "budget.seq-len=2048",
                    "--set",
                    "train.micro-batch=1",
                    "--set",
                    "cluster.bucket-bytes=256Mi",
                    "--json")
                .expect(0, null)
                .out());
    long bytes = Long.MAX_VALUE;
    for (JsonNode row : least.get("memory-per-rank")) {
      if (row.get("precision").asText().equals("bf16")) {
        bytes = Math.min(bytes, row.get("device").asLong());
      }
    }
    String gib = String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    assertEquals("48.6 GiB", gib);
    assertTrue(
        l4.out()
            .contains(
                "no setting fits on l4 (22.5 GiB usable): at micro-batch 1 with the optimizer"
                    + " sharded over 256 ranks (optim.shard=gradients, train.recompute=blocks,"
                    + " train.attention=fused) a rank still needs "
                    + gib
                    + "; use a GPU with more memory (e.g. --gpu h100: 79.6 GiB) or a smaller model"
                    + " (model.preset=1.7b, the largest preset that fits:"),
        l4.out());
    assertTrue(!l4.out().contains("need less"), "no advice the runs already follow\n" + l4.out());
    // On an H100 it fits as paper-8b sets it; unsharded it fits once sharded again, and the advice
    // names that, never what the sweep already has (recompute) or cannot do.
    Cli.Result unsharded =
        Cli.run(
                "estimate",
                "paper-8b",
                "--gpu",
                "h100",
                "--vocab",
                "50304",
                "--set",
                "optim.shard=none")
            .expect(0, null);
    assertTrue(
        unsharded
            .out()
            .contains(
                "; runs marked NO need less: optim.shard=optimizer|gradients, a smaller"
                    + " train.micro-batch, or more ranks (cluster.world-size)"),
        unsharded.out());
    assertTrue(!unsharded.out().contains("train.recompute"), unsharded.out());
    assertTrue(!unsharded.out().contains("no setting fits"), unsharded.out());
  }

  /** The 8b preset's parameter count and first memory row per shard mode. */
  private record Plan8b(long parameters, Map<String, JsonNode> byShard) {}

  /**
   * {@code model --json} for the 8b preset at 64 ranks, 4 sequences per rank, {@code micro} per
   * forward pass.
   */
  private static Plan8b plan8b(int micro) throws Exception {
    JsonNode o = Json.MAPPER.readTree(Cli.run(model8b(micro, "--json")).expect(0, null).out());
    Map<String, JsonNode> byShard = new HashMap<>();
    for (JsonNode row : o.get("memory-per-rank")) {
      byShard.putIfAbsent(row.get("shard").asText(), row);
    }
    return new Plan8b(o.get("parameters").asLong(), byShard);
  }

  /** {@code model} for the 8b preset at 64 ranks, 4 sequences per rank, {@code micro} per pass. */
  private static String[] model8b(int micro, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "model",
                "--preset",
                "8b",
                "--vocab",
                "50304",
                "--set",
                "cluster.world-size=64",
                "--set",
                "budget.global-batch=256",
                "--set",
                "train.micro-batch=" + micro));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
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
