package io.crossover.driver.run;

import io.crossover.data.config.Counts;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.plan.PlanSpec;
import io.crossover.data.plan.PlanSummary;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.read.ArrowTokenReader;
import io.crossover.data.read.StepBatch;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.ByteTokenizer;
import java.util.Arrays;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/** Builds a plan from a config and renders it for people. */
public final class Plans {
  private Plans() {}

  public static TokenPlan plan(CrossoverConfig config, Dataset dataset) {
    try (BufferAllocator allocator = new RootAllocator()) {
      int[] lengths = dataset.documentLengths(dataset.manifest().train(), allocator);
      return TokenPlan.create(dataset.manifest(), lengths, PlanSpec.of(config));
    }
  }

  public static String render(TokenPlan plan, Dataset dataset, CrossoverConfig config, int show) {
    PlanSummary s = plan.summary(show);
    StringBuilder out = new StringBuilder();
    out.append("Token plan for ").append(dataset.root()).append('\n');
    row(out, "tokenizer", s.tokenizer() + " (vocab " + dataset.manifest().vocabSize() + ")");
    row(out, "training tokens available", Counts.grouped(s.trainTokensAvailable()));
    row(
        out,
        "unique tokens U",
        Counts.grouped(s.uniqueTokens())
            + " ("
            + Counts.format(s.uniqueTokens())
            + ", "
            + Counts.grouped(s.uniqueSequences())
            + " sequences from "
            + Counts.grouped(s.uniqueDocuments())
            + " documents)");
    row(
        out,
        "total tokens T",
        Counts.grouped(s.totalTokens()) + " (" + Counts.format(s.totalTokens()) + ")");
    row(
        out,
        "epochs T/U",
        String.format(Locale.ROOT, "%.4f", s.epochs())
            + (s.epochs() == Math.floor(s.epochs()) ? "" : " (the last epoch is partial)"));
    row(out, "sequence length L", Integer.toString(s.seqLen()));
    row(
        out,
        "global batch B",
        s.globalBatch() + " sequences = " + Counts.grouped(s.tokensPerStep()) + " tokens per step");
    row(
        out,
        "world size W",
        s.worldSize() + " ranks x " + s.sequencesPerRank() + " sequences per step");
    row(out, "steps", Counts.grouped(s.steps()));
    row(out, "seed", Long.toString(s.seed()));
    out.append("First sequences of rank 0 at step 0:\n");
    try (BufferAllocator allocator = new RootAllocator();
        ArrowTokenReader reader =
            new ArrowTokenReader(dataset, plan, 0, 0, 1, config.reader(), allocator)) {
      StepBatch batch = reader.next();
      ByteTokenizer bytes =
          dataset.manifest().tokenizer().equals("byte") ? new ByteTokenizer() : null;
      for (int i = 0; i < s.firstSequencesRank0().length; i++) {
        int[] tokens = batch.tokens()[i];
        String preview =
            bytes != null
                ? bytes.decode(Arrays.copyOf(tokens, Math.min(tokens.length, 72)))
                : Arrays.toString(Arrays.copyOf(tokens, Math.min(tokens.length, 12)));
        out.append(
            String.format(
                Locale.ROOT,
                "  #%-7d %s%n",
                s.firstSequencesRank0()[i],
                preview.replace('\n', ' ').replace("<|eod|>", " | ")));
      }
    }
    return out.toString();
  }

  private static void row(StringBuilder out, String name, String value) {
    out.append(String.format(Locale.ROOT, "  %-27s %s%n", name, value));
  }
}
