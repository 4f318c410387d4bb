package io.crossover.driver.report.render;

import io.crossover.data.config.Counts;
import io.crossover.data.stats.Estimate;
import io.crossover.driver.report.Comparison;
import io.crossover.driver.report.Report;
import io.crossover.driver.report.Row;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The report's figures, drawn with JFreeChart into PNG bytes (headless). A score's line is the mean
 * over seeds and its band the 95% interval the findings use (documents resampled, seeds by t); a
 * curve is drawn on one item set, the items every evaluation of the row scored; a dashed line marks
 * chance. Validation losses are banded by the seeds' range (a single seed has none).
 */
public final class Figures {
  static final Color AR = new Color(0x1f77b4);
  static final Color MDM = new Color(0xd62728);
  static final Color DIFF = new Color(0x2ca02c);
  public static final int PANEL_W = 380;
  public static final int PANEL_H = 270;

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private Figures() {}

  /**
   * Figure A: one row per comparison (model, unique tokens, AR arm); panels: the task's metric
   * against epochs with each arm's 95% interval and chance, MDM − AR with its 95% interval (both on
   * the items every evaluation scored), and the validation loss (AR NLL and MDM ELBO, labelled: not
   * the same quantity).
   */
  public static byte[] figureA(Report report) {
    String metric = report.metric();
    List<List<JFreeChart>> grid = new ArrayList<>();
    for (Comparison c : report.comparisons()) {
      List<JFreeChart> panels = new ArrayList<>();
      String title = title(c.row());
      if (c.task() != null) {
        panels.add(scores(title + " - " + c.task() + items(c), c, metric));
        panels.add(difference(title + " - MDM - AR" + items(c), c, metric));
      }
      Comparison.Point last = c.last();
      panels.add(
          twoArms(
              title + " - validation",
              c,
              Comparison.Point::arLoss,
              Comparison.Point::mdmLoss,
              // Each arm's loss as its run recorded it: not the same quantity for both.
              String.format(
                  Locale.ROOT,
                  "val loss: AR %s, MDM %s",
                  last.arLossKind().toUpperCase(Locale.ROOT),
                  last.mdmLossKind().toUpperCase(Locale.ROOT))));
      grid.add(panels);
    }
    return render(grid);
  }

  /** ", 250 items": the item set a row's curves are drawn on. */
  private static String items(Comparison c) {
    Comparison.Common common = c.last().common();
    return common == null ? "" : String.format(Locale.ROOT, ", %,d items", common.items());
  }

  /**
   * Delta-NLL per byte (right minus wrong choices) against epochs, each arm with its 95% interval,
   * on the items every evaluation scored.
   */
  public static byte[] deltaNll(Report report) {
    List<JFreeChart> panels = new ArrayList<>();
    for (Comparison c : report.comparisons()) {
      Row row = c.row();
      String title = title(row) + " - " + c.task() + items(c);
      String label = "delta NLL per byte (right - wrong)";
      if (c.last().common() == null || c.last().common().arDeltaNll() == null) {
        panels.add(
            twoArms(
                title,
                c,
                p -> perSeed(row, false, c.task(), p.step()),
                p -> perSeed(row, true, c.task(), p.step()),
                label));
        continue;
      }
      YIntervalSeries a = new YIntervalSeries(c.row().arm().toUpperCase(Locale.ROOT), true, false);
      YIntervalSeries m = new YIntervalSeries("MDM", true, false);
      for (Comparison.Point p : c.curve()) {
        if (p.common() != null && p.common().arDeltaNll() != null) {
          add(a, p.epoch(), p.common().arDeltaNll());
          add(m, p.epoch(), p.common().mdmDeltaNll());
        }
      }
      JFreeChart chart = chart(title, List.of(a, m), List.of(AR, MDM), epochs(), label);
      line(chart, 0, null);
      panels.add(chart);
    }
    // Three panels a row: a page is wider than it is tall.
    List<List<JFreeChart>> grid = new ArrayList<>();
    for (int k = 0; k < panels.size(); k += 3) {
      grid.add(panels.subList(k, Math.min(k + 3, panels.size())));
    }
    return render(grid);
  }

  private static double[] perSeed(Row row, boolean mdm, String task, long step) {
    double[] out = new double[row.seeds()];
    for (int s = 0; s < out.length; s++) {
      Row.Pair p = row.pairs().get(s);
      var m = Row.at(mdm ? p.mdm() : p.ar(), step).tasks().get(task);
      out[s] = m == null ? Double.NaN : m.deltaNllPerByte();
    }
    return out;
  }

  /**
   * Final metric against unique tokens (log axis), one panel per (model, AR arm) that was run at
   * two budgets or more; empty when there is none.
   */
  public static List<JFreeChart> budgetPanels(Report report) {
    Map<String, List<Comparison>> panels = new TreeMap<>();
    for (Comparison c : report.comparisons()) {
      panels.computeIfAbsent(c.row().model() + ", " + c.row().arm(), k -> new ArrayList<>()).add(c);
    }
    List<JFreeChart> row = new ArrayList<>();
    for (var e : panels.entrySet()) {
      if (e.getValue().size() < 2) {
        continue;
      }
      YIntervalSeries ar = new YIntervalSeries("AR", true, false);
      YIntervalSeries mdm = new YIntervalSeries("MDM", true, false);
      double chance = Double.NaN;
      for (Comparison c : e.getValue()) {
        Comparison.Point last = c.last();
        if (last.arScore() == null) {
          add(ar, c.row().uniqueTokens(), last.ar());
          add(mdm, c.row().uniqueTokens(), last.mdm());
        } else {
          add(ar, c.row().uniqueTokens(), last.arScore().score());
          add(mdm, c.row().uniqueTokens(), last.mdmScore().score());
          chance = last.arScore().chance();
        }
      }
      LogAxis x = new LogAxis("unique tokens");
      x.setBase(2);
      x.setSmallestValue(1);
      x.setNumberFormatOverride(COUNTS);
      // Whole powers of two only: budgets are sized that way, and 2^14.5 means nothing.
      x.setTickUnit(new NumberTickUnit(1));
      JFreeChart chart =
          chart(
              e.getKey() + " - final " + report.metric() + ", 95% intervals",
              List.of(ar, mdm),
              List.of(AR, MDM),
              x,
              report.metric());
      line(chart, chance, "chance");
      row.add(chart);
    }
    return row;
  }

  public static byte[] byBudget(Report report) {
    return render(List.of(budgetPanels(report)));
  }

  /** Tick labels as token counts ("16Ki"), not as powers of the log base. */
  static final NumberFormat COUNTS =
      new NumberFormat() {
        @Override
        public StringBuffer format(double v, StringBuffer to, FieldPosition pos) {
          return to.append(Counts.format(Math.round(v)));
        }

        @Override
        public StringBuffer format(long v, StringBuffer to, FieldPosition pos) {
          return to.append(Counts.format(v));
        }

        @Override
        public Number parse(String source, ParsePosition pos) {
          throw new UnsupportedOperationException("tick labels are not parsed");
        }
      };

  /** Per-seed values of each arm against epochs: the seed mean, banded by the seeds' range. */
  private static JFreeChart twoArms(
      String title,
      Comparison c,
      Function<Comparison.Point, double[]> ar,
      Function<Comparison.Point, double[]> mdm,
      String yLabel) {
    YIntervalSeries a = new YIntervalSeries(c.row().arm().toUpperCase(Locale.ROOT), true, false);
    YIntervalSeries m = new YIntervalSeries("MDM", true, false);
    for (Comparison.Point p : c.curve()) {
      add(a, p.epoch(), ar.apply(p));
      add(m, p.epoch(), mdm.apply(p));
    }
    String bands = c.row().seeds() > 1 ? ", seeds' range" : "";
    return chart(title + bands, List.of(a, m), List.of(AR, MDM), epochs(), yLabel);
  }

  /**
   * Each arm's score against epochs on the row's common items, banded by its 95% interval, with
   * chance; the seeds' range where the runs recorded no item outcomes.
   */
  private static JFreeChart scores(String title, Comparison c, String metric) {
    if (c.last().common() == null) {
      return twoArms(title, c, Comparison.Point::ar, Comparison.Point::mdm, metric);
    }
    YIntervalSeries a = new YIntervalSeries(c.row().arm().toUpperCase(Locale.ROOT), true, false);
    YIntervalSeries m = new YIntervalSeries("MDM", true, false);
    for (Comparison.Point p : c.curve()) {
      if (p.common() != null) {
        add(a, p.epoch(), p.common().ar().score());
        add(m, p.epoch(), p.common().mdm().score());
      }
    }
    JFreeChart chart =
        chart(title, List.of(a, m), List.of(AR, MDM), epochs(), metric + ", 95% intervals");
    line(chart, c.last().common().ar().chance(), "chance");
    return chart;
  }

  private static JFreeChart difference(String title, Comparison c, String metric) {
    YIntervalSeries d = new YIntervalSeries("MDM - AR, 95% CI", true, false);
    for (Comparison.Point p : c.curve()) {
      Estimate e = p.common() != null ? p.common().difference() : p.difference();
      // An interval that could not be bounded (one document) has no band to draw.
      if (e != null && Double.isFinite(e.low()) && Double.isFinite(e.high())) {
        d.add(p.epoch(), e.value(), e.low(), e.high());
      }
    }
    JFreeChart chart = chart(title, List.of(d), List.of(DIFF), epochs(), metric + " difference");
    line(chart, 0, null);
    return chart;
  }

  private static NumberAxis epochs() {
    return new NumberAxis("epochs");
  }

  /**
   * A dashed horizontal line at {@code y} (chance, or 0), labelled when {@code label} is given, the
   * value axis widened to show it; none when {@code y} is not known.
   */
  private static void line(JFreeChart chart, double y, String label) {
    if (Double.isNaN(y)) {
      return;
    }
    ValueMarker marker =
        new ValueMarker(
            y,
            Color.DARK_GRAY,
            new BasicStroke(
                1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {5f, 4f}, 0f));
    if (label != null) {
      marker.setLabel(label);
      marker.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
      marker.setLabelAnchor(RectangleAnchor.TOP_LEFT);
      marker.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
    }
    XYPlot plot = chart.getXYPlot();
    plot.addRangeMarker(marker);
    ValueAxis axis = plot.getRangeAxis();
    Range r = axis.getRange();
    double pad = 0.05 * Math.max(r.getLength(), 1e-6);
    if (y < r.getLowerBound() + pad || y > r.getUpperBound() - pad) {
      axis.setRange(Math.min(r.getLowerBound(), y - pad), Math.max(r.getUpperBound(), y + pad));
    }
  }

  /** A value with its 95% interval. */
  private static void add(YIntervalSeries s, double x, Estimate e) {
    if (Double.isFinite(x) && Double.isFinite(e.low()) && Double.isFinite(e.high())) {
      s.add(x, e.value(), e.low(), e.high());
    }
  }

  /** Mean over seeds, banded by their range. */
  private static void add(YIntervalSeries s, double x, double[] perSeed) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum = 0;
    int n = 0;
    for (double v : perSeed) {
      if (Double.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
        n++;
      }
    }
    if (n > 0 && Double.isFinite(x)) {
      s.add(x, sum / n, min, max);
    }
  }

  private static JFreeChart chart(
      String title,
      List<YIntervalSeries> series,
      List<Color> colors,
      ValueAxis xAxis,
      String yLabel) {
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    series.forEach(data::addSeries);
    NumberAxis yAxis = new NumberAxis(yLabel);
    yAxis.setAutoRangeIncludesZero(false);
    DeviationRenderer renderer = new DeviationRenderer(true, true);
    for (int i = 0; i < colors.size(); i++) {
      renderer.setSeriesPaint(i, colors.get(i));
      renderer.setSeriesFillPaint(i, colors.get(i));
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    renderer.setAlpha(0.2f);
    XYPlot plot = new XYPlot(data, xAxis, yAxis, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.setTitle(new TextTitle(title, new Font(Font.SANS_SERIF, Font.BOLD, 12)));
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }

  static String title(Row row) {
    return String.format(
        Locale.ROOT,
        "%s, U=%s, %s, %d seed%s",
        row.model(),
        Counts.format(row.uniqueTokens()),
        row.arm(),
        row.seeds(),
        row.seeds() == 1 ? "" : "s");
  }

  static byte[] render(List<List<JFreeChart>> grid) {
    int cols = grid.stream().mapToInt(List::size).max().orElse(1);
    BufferedImage image =
        new BufferedImage(
            PANEL_W * Math.max(1, cols),
            PANEL_H * Math.max(1, grid.size()),
            BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    for (int r = 0; r < grid.size(); r++) {
      for (int c = 0; c < grid.get(r).size(); c++) {
        grid.get(r)
            .get(c)
            .draw(g, new Rectangle2D.Double(c * PANEL_W, r * PANEL_H, PANEL_W, PANEL_H));
      }
    }
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
