package io.crossover.driver.report.render;

import io.crossover.data.Json;
import io.crossover.driver.report.Report;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A report as people read it: the console summary, and report.html, report.json and the PNG figures
 * written beside the runs.
 */
public final class ReportFiles {
  private ReportFiles() {}

  /** Reads, prints the summary to {@code console} and writes the report files, ranked by acc. */
  public static Path write(String root, Configuration hadoop, PrintStream console) {
    return write(root, hadoop, console, Report.Settings.of("acc"));
  }

  /** As {@link #write(String, Configuration, PrintStream)}, with the report's settings. */
  public static Path write(
      String root, Configuration hadoop, PrintStream console, Report.Settings settings) {
    return publish(Report.read(root, hadoop, settings), root, hadoop, console);
  }

  /** Prints the summary to {@code console}; writes report.html, report.json and the figures. */
  public static Path publish(
      Report report, String root, Configuration hadoop, PrintStream console) {
    console.print(table(report));
    Path html = writeFiles(report, new Path(root), hadoop);
    console.println("report: " + html);
    return html;
  }

  /** The summary as a plain-text table, then what is left out and why, then the findings. */
  public static String table(Report report) {
    return ConsoleTable.render(report);
  }

  /**
   * Writes report.html, report.json and the PNG figures into {@code dir}; returns the HTML file.
   */
  public static Path writeFiles(Report report, Path dir, Configuration hadoop) {
    try {
      FileSystem fs = dir.getFileSystem(hadoop);
      // No .crc files beside the report on local disks: people open these files directly.
      fs.setWriteChecksum(false);
      if (!report.comparisons().isEmpty()) {
        put(fs, new Path(dir, "figure-a.png"), Figures.figureA(report));
        if (LawFigure.drawable(report.laws())) {
          put(fs, new Path(dir, "reuse-law.png"), LawFigure.png(report.laws()));
        }
        if (report.primary() != null) {
          put(fs, new Path(dir, "delta-nll.png"), Figures.deltaNll(report));
          if (!Figures.budgetPanels(report).isEmpty()) {
            put(fs, new Path(dir, "by-budget.png"), Figures.byBudget(report));
          }
        }
      }
      put(
          fs,
          new Path(dir, "report.json"),
          Json.SNAKE_PRETTY.writeValueAsString(report.json()).getBytes(StandardCharsets.UTF_8));
      Path html = new Path(dir, "report.html");
      put(fs, html, Html.render(report).getBytes(StandardCharsets.UTF_8));
      return fs.makeQualified(html);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the report into " + dir + ": " + e.getMessage(), e);
    }
  }

  private static void put(FileSystem fs, Path file, byte[] bytes) throws IOException {
    Path tmp = new Path(file.getParent(), "." + file.getName() + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(bytes);
    }
    fs.delete(file, false);
    if (!fs.rename(tmp, file)) {
      throw new IOException("cannot rename " + tmp + " to " + file);
    }
  }
}
