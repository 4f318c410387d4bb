package io.crossover.executor.eval;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * Progress of one evaluation, for the ones that take long: nothing in its first few seconds, then a
 * line every ten seconds with what is being scored, how far, how fast and how long is left. A rank
 * counts its own share; with W ranks sharing round-robin the whole is about W times that.
 */
final class EvalProgress {
  static final long FIRST_NANOS = 5_000_000_000L;
  static final long EVERY_NANOS = 10_000_000_000L;

  private final long step;
  private final int worldSize;
  private final Consumer<String> out;
  private final long start = System.nanoTime();
  private long last;
  private String phase;
  private long phaseStart;

  EvalProgress(long step, int worldSize, Consumer<String> out) {
    this.step = step;
    this.worldSize = worldSize;
    this.out = out;
  }

  /** Starts a phase: the validation loss, or one task. */
  void phase(String name) {
    phase = name;
    phaseStart = System.nanoTime();
  }

  /** {@code own} of this rank's share done, of {@code total} in all. */
  void done(int own, int total, String unit) {
    long now = System.nanoTime();
    if (now - start < FIRST_NANOS || now - last < EVERY_NANOS) {
      return;
    }
    last = now;
    long done = Math.min(total, (long) own * worldSize);
    double seconds = (now - phaseStart) / 1e9;
    double rate = done / Math.max(1e-9, seconds);
    out.accept(
        String.format(
            Locale.ROOT,
            "eval step %d | %s %,d/%,d %s | %.1f %s/s | eta %.0f s",
            step,
            phase,
            done,
            total,
            unit,
            rate,
            unit,
            (total - done) / Math.max(1e-9, rate)));
  }
}
