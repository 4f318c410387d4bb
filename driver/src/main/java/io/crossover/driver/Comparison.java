package io.crossover.driver;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** A side-by-side table of finished runs: their last evaluation and last training metrics. */
final class Comparison {
  private Comparison() {}

  static String table(List<String> runDirs, Configuration hadoop) {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%n%-22s %6s %8s %11s %7s %8s %7s %10s %10s%n",
            "run",
            "epochs",
            "loss",
            "val",
            "acc",
            "acc_norm",
            "acc_mi",
            "delta_nll",
            "tokens/s"));
    for (String dir : runDirs) {
      JsonNode eval = last(dir, "evals.jsonl", hadoop);
      JsonNode metrics = last(dir, "metrics.jsonl", hadoop);
      Iterator<Map.Entry<String, JsonNode>> tasks = eval.path("tasks").fields();
      JsonNode task = tasks.hasNext() ? tasks.next().getValue() : Json.MAPPER.createObjectNode();
      out.append(
          String.format(
              Locale.ROOT,
              "%-22s %6.2f %8.4f %4s %6.4f %7.3f %8.3f %7.3f %10.3f %,10.0f%n",
              new Path(dir).getName(),
              eval.path("epoch").asDouble(),
              metrics.path("loss").asDouble(),
              eval.path("val_loss_kind").asText(),
              eval.path("val_loss").asDouble(),
              task.path("acc").asDouble(),
              task.path("acc_norm").asDouble(),
              task.path("acc_mi").asDouble(),
              task.path("delta_nll").asDouble(),
              metrics.path("tokens_per_s").asDouble()));
    }
    out.append(
        "val: AR is an exact NLL, MDM an ELBO bound (nats/token) - not comparable as likelihoods."
            + " Accuracies are on the shipped cloze items (chance 0.25).\n");
    return out.toString();
  }

  private static JsonNode last(String dir, String file, Configuration hadoop) {
    Path path = new Path(dir, file);
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      try (InputStream in = fs.open(path)) {
        String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
        return Json.MAPPER.readTree(lines[lines.length - 1]);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}
