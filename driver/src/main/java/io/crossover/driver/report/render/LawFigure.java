package io.crossover.driver.report.render;

import io.crossover.data.config.Counts;
import io.crossover.data.stats.DataLaw;
import io.crossover.data.stats.LawFit;
import io.crossover.driver.report.ReuseLaws;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.geom.Ellipse2D;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The data-reuse law per objective: each budget's measured best-so-far validation loss (points) and
 * the fitted law through them (line), against tokens seen on a log axis.
 */
public final class LawFigure {
  private static final Color[] BUDGETS = {
    new Color(0x1b9e77),
    new Color(0xd95f02),
    new Color(0x7570b3),
    new Color(0xe7298a),
    new Color(0x66a61e),
    new Color(0xe6ab02)
  };

  private LawFigure() {}

  /** Whether there is a law to draw. */
  public static boolean drawable(ReuseLaws laws) {
    return laws.result() != null
        && laws.result().fits().values().stream().anyMatch(f -> f.law() != null);
  }

  /** One panel per objective, side by side. */
  public static byte[] png(ReuseLaws laws) {
    List<JFreeChart> panels = new ArrayList<>();
    laws.result().fits().forEach((objective, fit) -> panels.add(panel(objective, fit)));
    return Figures.render(List.of(panels));
  }

  private static JFreeChart panel(String objective, LawFit.Fit fit) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer();
    int series = 0;
    int colour = 0;
    for (double unique : LawFit.budgets(fit.points())) {
      Color c = BUDGETS[colour++ % BUDGETS.length];
      XYSeries measured = new XYSeries("U=" + Counts.format((long) unique), false);
      double last = 0;
      for (DataLaw.Point p : fit.points()) {
        if (p.unique() == unique) {
          measured.add(p.tokens(), p.loss());
          last = Math.max(last, p.tokens());
        }
      }
      data.addSeries(measured);
      renderer.setSeriesLinesVisible(series, false);
      renderer.setSeriesShape(series, new Ellipse2D.Double(-3, -3, 6, 6));
      renderer.setSeriesPaint(series++, c);
      if (fit.law() != null) {
        XYSeries line = new XYSeries("fit " + Counts.format((long) unique), false);
        for (DataLaw.Point p : fit.law().curve(unique, last / 16, last, 40)) {
          line.add(p.tokens(), p.loss());
        }
        data.addSeries(line);
        renderer.setSeriesShapesVisible(series, false);
        renderer.setSeriesVisibleInLegend(series, false);
        renderer.setSeriesStroke(series, new BasicStroke(1.5f));
        renderer.setSeriesPaint(series++, c);
      }
    }
    LogAxis x = new LogAxis("tokens seen");
    x.setBase(2);
    x.setNumberFormatOverride(Figures.COUNTS);
    NumberAxis y = new NumberAxis("best " + fit.lossKind().toUpperCase(Locale.ROOT) + " so far");
    y.setAutoRangeIncludesZero(false);
    XYPlot plot = new XYPlot(data, x, y, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    String title =
        fit.law() == null
            ? objective.toUpperCase(Locale.ROOT) + ": no fit (" + fit.why() + ")"
            : objective.toUpperCase(Locale.ROOT)
                + ": R* "
                + fit.halfLife().text()
                + " epochs"
                + (fit.identified() ? "" : " (not identified)");
    chart.setTitle(new TextTitle(title, new Font(Font.SANS_SERIF, Font.BOLD, 12)));
    chart.setBackgroundPaint(Color.WHITE);
    return chart;
  }
}
