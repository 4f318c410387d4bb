package io.crossover.executor.objective;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * How the arms of a study pair up: every autoregressive arm (plain AR and its controls) is compared
 * with the masked-diffusion run trained on the same data and budget. Sweeps, the report and the
 * benchmarks ask here rather than testing objective types themselves.
 */
public final class Arms {
  private Arms() {}

  /**
   * Runs of one group split into the subject of the comparison and the arms it is compared with.
   *
   * @param subject the masked-diffusion arm's name and value, or null when the group has none
   * @param baselines every other arm, by name
   * @param <T> what a run is to the caller
   */
  public record Split<T>(Map.Entry<String, T> subject, Map<String, T> baselines) {}

  /** Splits {@code byArm} (arm name to run) by each run's objective. */
  public static <T> Split<T> split(Map<String, T> byArm, Function<T, Objective> objective) {
    Map.Entry<String, T> subject = null;
    Map<String, T> baselines = new TreeMap<>();
    for (Map.Entry<String, T> e : byArm.entrySet()) {
      if (objective.apply(e.getValue()).family() == Objective.Family.DIFFUSION) {
        subject = Map.entry(e.getKey(), e.getValue());
      } else {
        baselines.put(e.getKey(), e.getValue());
      }
    }
    return new Split<>(subject, baselines);
  }

  /** Objectives that make a comparison: a diffusion subject and at least one arm beside it. */
  public static boolean comparable(Collection<Objective> objectives) {
    return objectives.stream().anyMatch(o -> o.family() == Objective.Family.DIFFUSION)
        && objectives.stream().anyMatch(o -> o.family() != Objective.Family.DIFFUSION);
  }

  /** Of two objectives, the diffusion one (the subject) first; null if neither or both are. */
  public static List<Objective> subjectFirst(Objective a, Objective b) {
    boolean aSubject = a.family() == Objective.Family.DIFFUSION;
    boolean bSubject = b.family() == Objective.Family.DIFFUSION;
    if (aSubject == bSubject) {
      return null;
    }
    return aSubject ? List.of(a, b) : List.of(b, a);
  }
}
