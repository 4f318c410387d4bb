package io.crossover.driver.run;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The latest value of each figure a training run reports, by name, as the driver reads them from
 * the run directory: the step line's figures ({@code step}, {@code tokens_seen}, {@code epoch},
 * {@code loss}, {@code tokens_per_s}, ...) and the last evaluation's ({@code eval_val_loss}, {@code
 * eval_<task>_acc}, ...). Read from any thread; a name is announced to {@code onNewName} the first
 * time it has a value, so that a metrics registry can expose it.
 */
public final class RunGauges {
  /** The step line's figures, in the order they are registered. */
  public static final List<String> STEP =
      List.of(
          "step",
          "steps",
          "epoch",
          "tokens_seen",
          "loss",
          "lr",
          "grad_norm",
          "tokens_per_s",
          "eta_s",
          "skipped_steps",
          "all_reduce_s",
          "all_reduce_wait_s",
          "model_flops_per_s",
          "mfu");

  private static final List<String> TASK = List.of("acc", "acc_norm", "acc_mi");

  private final Map<String, Double> values = new ConcurrentHashMap<>();
  private final Consumer<String> onNewName;

  public RunGauges(Consumer<String> onNewName) {
    this.onNewName = onNewName;
  }

  /** The latest value of {@code name}, NaN before the run reports it. */
  public double get(String name) {
    return values.getOrDefault(name, Double.NaN);
  }

  /** One line of metrics.jsonl. */
  public void step(JsonNode line) {
    for (String name : STEP) {
      if (line.hasNonNull(name)) {
        put(name, line.path(name).asDouble());
      }
    }
  }

  /** One line of evals.jsonl. */
  public void eval(JsonNode line) {
    put("eval_step", line.path("step").asDouble());
    if (line.path("val_loss").isNumber()) {
      put("eval_val_loss", line.path("val_loss").asDouble());
    }
    line.path("tasks")
        .fields()
        .forEachRemaining(
            t -> {
              for (String figure : TASK) {
                if (t.getValue().path(figure).isNumber()) {
                  put("eval_" + t.getKey() + "_" + figure, t.getValue().path(figure).asDouble());
                }
              }
            });
  }

  private void put(String name, double value) {
    if (values.put(name, value) == null) {
      onNewName.accept(name);
    }
  }
}
