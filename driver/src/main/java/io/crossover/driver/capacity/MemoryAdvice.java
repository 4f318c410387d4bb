package io.crossover.driver.capacity;

import io.crossover.data.config.ClusterConfig;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.config.ModelConfig;
import io.crossover.data.config.OptimConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.model.ModelSize;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What the estimate tells a run that does not fit its GPU. Its advice names only settings that
 * change a rank's memory without changing the experiment (optim.shard, train.recompute,
 * train.attention, train.micro-batch, cluster.world-size), and only those the run does not have
 * already. Where even the least those settings reach is too much, advice to change them would send
 * the user round in circles, so it says that no setting fits and what would: a GPU with more memory
 * or a smaller model, both weighed by the same memory model.
 */
final class MemoryAdvice {
  private MemoryAdvice() {}

  /**
   * The least memory of a rank by the settings the advice may change, and the settings that reach
   * it.
   */
  record Least(
      long bytes,
      int worldSize,
      OptimConfig.Shard shard,
      boolean recompute,
      TrainConfig.Attention attention) {}

  /** What to print under the table: a suffix of the fits line and whole lines after it. */
  record Advice(String needLess, List<String> lines) {}

  /**
   * The advice for the runs of {@code out} (in the order of {@code configs}) that exceed {@code
   * gpu}.
   */
  static Advice of(List<Estimate> out, List<CrossoverConfig> configs, Device gpu, int vocab) {
    Set<String> changes = new LinkedHashSet<>();
    List<String> stuck = new ArrayList<>();
    Least worst = null;
    CrossoverConfig worstConfig = null;
    int over = 0;
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).deviceBytes() <= gpu.memoryBytes()) {
        continue;
      }
      over++;
      CrossoverConfig c = configs.get(i);
      Least least = least(c, c.model(), vocab);
      if (least.bytes() <= gpu.memoryBytes()) {
        changes.addAll(changes(c));
      } else {
        stuck.add(out.get(i).name());
        if (worst == null || least.bytes() > worst.bytes()) {
          worst = least;
          worstConfig = c;
        }
      }
    }
    String needLess = changes.isEmpty() ? null : list(new ArrayList<>(changes), "or");
    List<String> lines = new ArrayList<>();
    if (worst != null) {
      lines.add(
          (stuck.size() < over ? "for " + String.join(", ", stuck) + ": " : "")
              + noSettingFits(worst, worstConfig, gpu, vocab));
    }
    return new Advice(needLess, lines);
  }

  /**
   * The settings among those the advice names that {@code c} does not have yet, in the order of how
   * much they usually save.
   */
  static List<String> changes(CrossoverConfig c) {
    List<String> out = new ArrayList<>();
    int w = c.cluster().worldSize();
    int most = mostRanks(c);
    if (most > 1) {
      switch (c.optim().shard()) {
        case NONE -> out.add("optim.shard=optimizer|gradients");
        case OPTIMIZER -> out.add("optim.shard=gradients");
        case GRADIENTS -> {}
      }
    }
    if (c.train().recompute() == TrainConfig.Recompute.NONE && recomputeAllowed(c)) {
      out.add("train.recompute=blocks");
    }
    if (c.train().attention() == TrainConfig.Attention.MATERIALIZED) {
      out.add("train.attention=fused");
    }
    if (c.train().microBatchOf(c.sequencesPerRank()) > 1) {
      out.add("a smaller train.micro-batch");
    }
    if (w < most) {
      out.add("more ranks (cluster.world-size)");
    }
    return out;
  }

  /**
   * The least memory a rank of {@code c} with model {@code m} can need by the settings the advice
   * names: one sequence per forward pass over the most ranks the global batch allows, with the best
   * of each memory setting the run may use.
   */
  static Least least(CrossoverConfig c, ModelConfig m, int vocab) {
    int w = mostRanks(c);
    List<Boolean> recompute = recomputeAllowed(c) ? List.of(false, true) : List.of(false);
    Least best = null;
    for (OptimConfig.Shard shard : OptimConfig.Shard.values()) {
      for (boolean r : recompute) {
        for (TrainConfig.Attention a : TrainConfig.Attention.kernels()) {
          long bytes = StepTimeModel.footprint(c, m, vocab, w, 1, shard, r, a).device();
          if (best == null || bytes < best.bytes()) {
            best = new Least(bytes, w, shard, r, a);
          }
        }
      }
    }
    return best;
  }

  /** The most ranks that share the global batch evenly (every rank needs a whole sequence). */
  static int mostRanks(CrossoverConfig c) {
    int batch = c.budget().globalBatch();
    for (int w = Math.min(batch, ClusterConfig.MAX_WORLD_SIZE); w > 1; w--) {
      if (batch % w == 0) {
        return w;
      }
    }
    return 1;
  }

  /** Recomputation draws dropout masks again, so an arm with dropout cannot use it. */
  private static boolean recomputeAllowed(CrossoverConfig c) {
    return c.objective().arDropout() == 0;
  }

  private static String noSettingFits(Least least, CrossoverConfig c, Device gpu, int vocab) {
    String settings =
        "train.recompute="
            + (least.recompute() ? "blocks" : "none")
            + ", train.attention="
            + least.attention().name().toLowerCase(Locale.ROOT);
    String how =
        least.shard().sharded() && least.worldSize() > 1
            ? String.format(
                Locale.ROOT,
                "with the optimizer sharded over %d ranks (optim.shard=%s, %s)",
                least.worldSize(),
                least.shard().name().toLowerCase(Locale.ROOT),
                settings)
            : "on " + least.worldSize() + " rank(s) (" + settings + ")";
    return String.format(
        Locale.ROOT,
        "no setting fits on %s (%.1f GiB usable): at micro-batch 1 %s a rank still needs %.1f GiB;"
            + " use %s or %s",
        kind(gpu),
        gib(gpu.memoryBytes()),
        how,
        gib(least.bytes()),
        largerGpu(least.bytes()),
        smallerModel(c, gpu, vocab));
  }

  /** The known GPU with the least memory that holds {@code bytes}, or the largest there is. */
  private static String largerGpu(long bytes) {
    List<Device> known = Gpus.KINDS.stream().map(Gpus::of).toList();
    Optional<Device> fits =
        known.stream()
            .filter(d -> d.memoryBytes() >= bytes)
            .min(Comparator.comparingLong(Device::memoryBytes));
    if (fits.isPresent()) {
      return String.format(
          Locale.ROOT,
          "a GPU with more memory (e.g. --gpu %s: %.1f GiB)",
          kind(fits.get()),
          gib(fits.get().memoryBytes()));
    }
    Device most = known.stream().max(Comparator.comparingLong(Device::memoryBytes)).orElseThrow();
    return String.format(
        Locale.ROOT,
        "a GPU with more memory than any this planner knows (the most: %s, %.1f GiB)",
        kind(most),
        gib(most.memoryBytes()));
  }

  /**
   * The largest model preset smaller than {@code c}'s model whose least memory fits {@code gpu}.
   */
  private static String smallerModel(CrossoverConfig c, Device gpu, int vocab) {
    long parameters = ModelSize.parameters(c.model(), vocab);
    ModelConfig best = null;
    long bestBytes = 0;
    ModelConfig smallest = null;
    for (String preset : ModelConfig.presets()) {
      ModelConfig m = c.model().withPreset(preset);
      long p = ModelSize.parameters(m, vocab);
      if (p >= parameters) {
        continue;
      }
      if (smallest == null || p < ModelSize.parameters(smallest, vocab)) {
        smallest = m;
      }
      long bytes = least(c, m, vocab).bytes();
      if (bytes <= gpu.memoryBytes() && (best == null || p > ModelSize.parameters(best, vocab))) {
        best = m;
        bestBytes = bytes;
      }
    }
    if (best != null) {
      return String.format(
          Locale.ROOT,
          "a smaller model (model.preset=%s, the largest preset that fits: %.1f GiB with those"
              + " settings)",
          best.preset(),
          gib(bestBytes));
    }
    if (smallest == null) {
      return "a smaller model (model.layers, model.dim, model.ffn-dim)";
    }
    return String.format(
        Locale.ROOT,
        "a smaller model than any preset (the smallest, model.preset=%s, still needs %.1f GiB):"
            + " set model.layers, model.dim and model.ffn-dim",
        smallest.preset(),
        gib(least(c, smallest, vocab).bytes()));
  }

  /** What --gpu calls {@code d}. */
  private static String kind(Device d) {
    return Gpus.KINDS.stream()
        .filter(k -> Gpus.of(k).name().equals(d.name()))
        .findFirst()
        .orElse(d.name());
  }

  private static double gib(long bytes) {
    return bytes / (double) (1L << 30);
  }

  /** {@code a, b, or c}. */
  private static String list(List<String> items, String conjunction) {
    if (items.size() == 1) {
      return items.get(0);
    }
    return String.join(", ", items.subList(0, items.size() - 1))
        + ", "
        + conjunction
        + " "
        + items.get(items.size() - 1);
  }
}
