package io.crossover.driver.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders {@link OpProfile}s: milliseconds per group and setting, then each setting's top ops. */
final class ProfileTable {
  private static final int TOP = 6;

  private ProfileTable() {}

  static void print(Map<String, OpProfile> profiles, Path traces) {
    System.out.printf(
        Locale.ROOT,
        "%nOne more step of each setting under libtorch's profiler: self time in ms (traces in"
            + " %s)%n",
        traces);
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-36s", "ops"));
    profiles.keySet().forEach(k -> head.append(String.format(Locale.ROOT, " %14s", k)));
    System.out.println(head);
    for (OpProfile.Group g : OpProfile.Group.values()) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-36s", g.label()));
      profiles
          .values()
          .forEach(p -> row.append(String.format(Locale.ROOT, " %14.1f", p.groups().get(g) * 1e3)));
      System.out.println(row);
    }
    StringBuilder total = new StringBuilder(String.format(Locale.ROOT, "%-36s", "total"));
    profiles
        .values()
        .forEach(p -> total.append(String.format(Locale.ROOT, " %14.1f", p.total() * 1e3)));
    System.out.println(total);
    for (Map.Entry<String, OpProfile> e : profiles.entrySet()) {
      List<Map.Entry<String, Double>> ops = e.getValue().ops();
      StringBuilder line = new StringBuilder(e.getKey() + " top ops:");
      for (Map.Entry<String, Double> op : ops.subList(0, Math.min(TOP, ops.size()))) {
        line.append(
            String.format(
                Locale.ROOT,
                " %s %.0f ms (%.0f%%);",
                op.getKey(),
                op.getValue() * 1e3,
                100 * op.getValue() / e.getValue().total()));
      }
      System.out.println(line);
    }
  }
}
