package io.crossover.driver.run;

import io.crossover.data.Json;
import io.crossover.data.config.Counts;
import io.crossover.executor.train.StepMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.Locale;
import java.util.function.Consumer;

/** metrics.jsonl (appended as the run goes) and the progress line. */
public final class MetricsLog implements Consumer<StepMetrics>, AutoCloseable {
  private final Writer out;

  public MetricsLog(RunDir run) {
    this.out = run.appender("metrics.jsonl");
  }

  @Override
  public void accept(StepMetrics m) {
    System.out.println(progress(m));
    try {
      out.write(Json.snakeLine(m));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to metrics.jsonl", e);
    }
  }

  /** The console's line for a step: what rank 0 prints, and the driver of a multi-rank run. */
  public static String progress(StepMetrics m) {
    StringBuilder line =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "step %d/%d | epoch %.2f | tokens %s | loss %.4f | lr %.2e | grad %.3f | %s tok/s",
                m.step(),
                m.steps(),
                m.epoch(),
                Counts.grouped(m.tokensSeen()),
                m.loss(),
                m.lr(),
                m.gradNorm(),
                Counts.grouped(Math.round(m.tokensPerS()))));
    if (Double.isFinite(m.mfu()) && m.mfu() > 0) {
      line.append(String.format(Locale.ROOT, " | MFU %.2f", m.mfu()));
    }
    if (m.allReduceS() > 0) {
      line.append(
          String.format(
              Locale.ROOT,
              " | all-reduce %.0f ms/step (%.0f exposed)",
              m.allReduceS() * 1e3,
              m.allReduceWaitS() * 1e3));
    }
    return line.append(" | eta ").append(duration(m.etaS())).toString();
  }

  private static String duration(double seconds) {
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close metrics.jsonl", e);
    }
  }
}
