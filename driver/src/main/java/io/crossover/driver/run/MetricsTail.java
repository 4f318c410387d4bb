package io.crossover.driver.run;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.executor.train.StepMetrics;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.LongConsumer;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.client.HdfsDataInputStream;

/**
 * Follows rank 0's metrics.jsonl and evals.jsonl in the run directory and prints each new line as
 * progress, while the barrier stage runs: the run directory is the channel from rank 0 to the
 * driver (it works on HDFS and survives stage retries).
 */
public final class MetricsTail {
  private final RunDir run;
  private Thread thread;
  private volatile boolean stopped;
  private long metricsOffset;
  private long evalsOffset;

  private final LongConsumer progress;
  private final RunGauges gauges;

  /** Prints each new line, tells {@code progress} each step and keeps {@code gauges} current. */
  public MetricsTail(RunDir run, LongConsumer progress, RunGauges gauges) {
    this.run = run;
    this.progress = progress;
    this.gauges = gauges;
  }

  public void start() {
    // A line left by an earlier session of this run is not news.
    lastProgress = "";
    evalProgressQuietly();
    thread = new Thread(this::loop, "crossover-progress");
    thread.setDaemon(true);
    thread.start();
  }

  public void stop() {
    stopped = true;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      poll();
    }
  }

  private void loop() {
    while (!stopped) {
      poll();
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void poll() {
    metricsOffset = read("metrics.jsonl", metricsOffset, true);
    evalsOffset = read("evals.jsonl", evalsOffset, false);
    evalProgress();
  }

  private String lastProgress;

  private void evalProgressQuietly() {
    try {
      Path file = new Path(run.path(), RankTraining.EVAL_PROGRESS);
      if (run.fs().exists(file)) {
        try (var in = run.fs().open(file)) {
          lastProgress = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
      }
    } catch (IOException e) {
      // Nothing to remember.
    }
  }

  /** Rank 0 rewrites one line while a long evaluation runs: print it when it changes. */
  private void evalProgress() {
    Path file = new Path(run.path(), RankTraining.EVAL_PROGRESS);
    try {
      FileSystem fs = run.fs();
      if (!fs.exists(file)) {
        return;
      }
      String line;
      try (var in = fs.open(file)) {
        line = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      }
      if (!line.isEmpty() && !line.equals(lastProgress)) {
        lastProgress = line;
        System.out.println(line);
      }
    } catch (IOException e) {
      // Being replaced: the next poll reads it.
    }
  }

  /**
   * How much of a file a reader can see. On HDFS, the lines rank 0 has hflushed while the file is
   * still open for writing: the NameNode's length counts only completed blocks until it is closed.
   */
  private static long visibleLength(FSDataInputStream in, FileSystem fs, Path file)
      throws IOException {
    return in instanceof HdfsDataInputStream hdfs
        ? hdfs.getVisibleLength()
        : fs.getFileStatus(file).getLen();
  }

  private long read(String name, long offset, boolean metrics) {
    FileSystem fs = run.fs();
    Path file = new Path(run.path(), name);
    try {
      byte[] bytes;
      try (var in = fs.open(file)) {
        long length = visibleLength(in, fs, file);
        if (length < offset) {
          offset = 0; // rewritten on a retry: start over
        }
        if (length == offset) {
          return offset;
        }
        bytes = new byte[(int) (length - offset)];
        in.readFully(offset, bytes);
      }
      String text = new String(bytes, StandardCharsets.UTF_8);
      int end = text.lastIndexOf('\n');
      if (end < 0) {
        return offset;
      }
      for (String line : text.substring(0, end).split("\n")) {
        try {
          print(Json.MAPPER.readTree(line), metrics);
        } catch (IOException | IllegalArgumentException e) {
          // A whole line that cannot be read stays unreadable: say so once and go on, so that
          // progress, the gauges and the run's bookkeeping keep following the run.
          System.err.println("crossover: skipped an unreadable line of " + name + ": " + e);
        }
      }
      return offset + text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length;
    } catch (FileNotFoundException e) {
      return 0; // not written yet
    } catch (IOException e) {
      return offset; // a line half written, or the file moving: try again next poll
    }
  }

  private void print(JsonNode n, boolean metrics) {
    if (metrics) {
      gauges.step(n);
      progress.accept(n.path("step").asLong());
      System.out.println(MetricsLog.progress(Json.fromSnakeLine(n.toString(), StepMetrics.class)));
    } else {
      gauges.eval(n);
      StringBuilder tasks = new StringBuilder();
      n.path("tasks")
          .fields()
          .forEachRemaining(
              t ->
                  tasks.append(
                      String.format(
                          Locale.ROOT,
                          " | %s acc %.3f acc_norm %.3f acc_mi %.3f dNLL/byte %.4f",
                          t.getKey(),
                          t.getValue().path("acc").asDouble(),
                          t.getValue().path("acc_norm").asDouble(),
                          t.getValue().path("acc_mi").asDouble(),
                          t.getValue().path("delta_nll_per_byte").asDouble())));
      double loss = n.path("val_loss").asDouble(Double.NaN);
      System.out.printf(
          Locale.ROOT,
          "eval step %d | epoch %.2f%s%s | %.1f s%n",
          n.path("step").asLong(),
          n.path("epoch").asDouble(),
          Double.isNaN(loss)
              ? ""
              : String.format(
                  Locale.ROOT, " | val %s %.4f", n.path("val_loss_kind").asText(), loss),
          tasks,
          n.path("seconds").asDouble());
    }
  }
}
