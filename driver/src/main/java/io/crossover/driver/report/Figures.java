package io.crossover.driver.report;

import io.crossover.executor.eval.EvalRecord;
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
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's figures, drawn with JFreeChart into PNG bytes (headless). */
final class Figures {
  static final Color AR = new Color(0x1f77b4);
  static final Color MDM = new Color(0xd62728);
  static final int PANEL_W = 380;
  static final int PANEL_H = 270;

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private Figures() {}

  /** One panel: a quantity of the AR and MDM runs of a row against epochs. */
  record Panel(String title, String yLabel, Row row, ToDoubleFunction<EvalRecord> y) {}

  /**
   * Figure A: one row per (model, unique tokens), one column per task's {@code metric} vs epochs,
   * then the validation loss (AR NLL and MDM ELBO, labelled: not the same quantity).
   */
  static byte[] figureA(List<Row> rows, List<String> tasks, String metric) {
    return render(
        rows, tasks, task -> task + " " + metric, task -> e -> Curves.value(e, task, metric), true);
  }

  /** Delta-NLL (right minus wrong choices) vs epochs: rising loss with sharper preferences. */
  static byte[] deltaNll(List<Row> rows, List<String> tasks) {
    return render(
        rows,
        tasks,
        task -> "delta NLL (right - wrong)",
        task -> e -> Curves.value(e, task, "delta_nll"),
        false);
  }

  /**
   * One row of panels per (model, unique tokens), one panel per task, and with {@code validation} a
   * last panel of the validation loss (AR NLL and MDM ELBO, labelled: not the same quantity).
   */
  private static byte[] render(
      List<Row> rows,
      List<String> tasks,
      java.util.function.Function<String, String> yLabel,
      java.util.function.Function<String, ToDoubleFunction<EvalRecord>> y,
      boolean validation) {
    java.util.List<java.util.List<Panel>> grid = new java.util.ArrayList<>();
    for (Row row : rows) {
      java.util.List<Panel> panels = new java.util.ArrayList<>();
      for (String task : tasks) {
        panels.add(new Panel(title(row) + " - " + task, yLabel.apply(task), row, y.apply(task)));
      }
      if (validation) {
        panels.add(
            new Panel(
                title(row) + " - validation",
                "val loss (AR: NLL, MDM: ELBO)",
                row,
                EvalRecord::valLoss));
      }
      grid.add(panels);
    }
    return render(grid);
  }

  /** Best score vs unique tokens (log axis), AR and MDM, one panel per model. */
  static byte[] byBudget(List<Row> rows, String task, String metric) {
    java.util.Map<String, java.util.List<Row>> byModel = new java.util.TreeMap<>();
    for (Row r : rows) {
      byModel.computeIfAbsent(r.model(), k -> new java.util.ArrayList<>()).add(r);
    }
    BufferedImage image =
        new BufferedImage(PANEL_W * byModel.size(), PANEL_H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(image);
    int x = 0;
    for (var e : byModel.entrySet()) {
      XYSeries ar = new XYSeries("AR", true, false);
      XYSeries mdm = new XYSeries("MDM", true, false);
      for (Row r : e.getValue()) {
        ar.add(r.uniqueTokens(), Row.best(r.ar(), task, metric));
        mdm.add(r.uniqueTokens(), Row.best(r.mdm(), task, metric));
      }
      XYSeriesCollection data = new XYSeriesCollection();
      data.addSeries(ar);
      data.addSeries(mdm);
      LogAxis xAxis = new LogAxis("unique tokens");
      xAxis.setBase(2);
      xAxis.setSmallestValue(1);
      JFreeChart chart = chart(e.getKey() + " - best " + task + " " + metric, data, xAxis, metric);
      chart.draw(g, new Rectangle2D.Double(x, 0, PANEL_W, PANEL_H));
      x += PANEL_W;
    }
    g.dispose();
    return png(image);
  }

  private static byte[] render(java.util.List<java.util.List<Panel>> grid) {
    int cols = grid.stream().mapToInt(java.util.List::size).max().orElse(1);
    BufferedImage image =
        new BufferedImage(
            PANEL_W * Math.max(1, cols),
            PANEL_H * Math.max(1, grid.size()),
            BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas(image);
    for (int r = 0; r < grid.size(); r++) {
      for (int c = 0; c < grid.get(r).size(); c++) {
        Panel p = grid.get(r).get(c);
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(series(p.row().ar(), "AR", p.y()));
        data.addSeries(series(p.row().mdm(), "MDM", p.y()));
        JFreeChart chart = chart(p.title(), data, new NumberAxis("epochs"), p.yLabel());
        chart.draw(g, new Rectangle2D.Double(c * PANEL_W, r * PANEL_H, PANEL_W, PANEL_H));
      }
    }
    g.dispose();
    return png(image);
  }

  private static XYSeries series(RunResult run, String label, ToDoubleFunction<EvalRecord> y) {
    XYSeries s = new XYSeries(label, true, false);
    for (EvalRecord e : run.evals()) {
      double v = y.applyAsDouble(e);
      if (Double.isFinite(v)) {
        s.add(e.epoch(), v);
      }
    }
    return s;
  }

  private static JFreeChart chart(
      String title, XYSeriesCollection data, org.jfree.chart.axis.ValueAxis xAxis, String yLabel) {
    NumberAxis yAxis = new NumberAxis(yLabel);
    yAxis.setAutoRangeIncludesZero(false);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    renderer.setSeriesPaint(0, AR);
    renderer.setSeriesPaint(1, MDM);
    renderer.setSeriesStroke(0, new BasicStroke(2f));
    renderer.setSeriesStroke(1, new BasicStroke(2f));
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
        "%s, U=%s",
        row.model(),
        io.crossover.data.config.Counts.format(row.uniqueTokens()));
  }

  private static Graphics2D canvas(BufferedImage image) {
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    return g;
  }

  private static byte[] png(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
