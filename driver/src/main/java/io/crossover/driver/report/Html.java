package io.crossover.driver.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** report.html: the summary table with intervals, what the claims mean, and the figures. */
final class Html {
  private Html() {}

  static String render(Report report) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Crossover report</title><style>")
        .append("body{font-family:sans-serif;margin:2em;max-width:1500px}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("text-align:right}th{background:#f4f4f4}img{max-width:100%;border:1px solid #eee}")
        .append(".ar{color:#1f77b4}.mdm{color:#d62728}</style></head><body>\n");
    h.append("<h1>Crossover report</h1>\n");
    String primary = report.primary();
    h.append("<p>")
        .append(report.comparisons().size())
        .append(" comparison(s) of an <span class=\"ar\">AR</span> arm with")
        .append(" <span class=\"mdm\">MDM</span>: the same model, data, total tokens and seeds,")
        .append(" only the objective differs. Claims are made on the <b>final</b> evaluation of")
        .append(" <b>")
        .append(esc(primary == null ? "(no task)" : primary + " " + report.metric()))
        .append("</b>; every difference is MDM − AR with its 95% interval (paired bootstrap over")
        .append(" items within a run, combined with the spread over seeds). A difference whose")
        .append(" interval contains 0 is noise, not a finding.</p>\n");
    String table = report.table();
    List<Map<String, Object>> summary = report.summary();
    if (!summary.isEmpty()) {
      String[] lines = table.split("\n");
      h.append("<table>\n");
      // The console table's columns, one cell each (they are separated by two spaces or more).
      for (int i = 1; i < lines.length && !lines[i].startsWith("  "); i++) {
        String tag = i == 1 ? "th" : "td";
        h.append("<tr>");
        for (String cell : lines[i].trim().split("\\s{2,}")) {
          h.append('<')
              .append(tag)
              .append('>')
              .append(esc(cell))
              .append("</")
              .append(tag)
              .append('>');
        }
        h.append("</tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("<ul>")
        .append("<li><b>crossover</b>: <i>MDM, from epoch e</i> only when MDM's final lead is")
        .append(" significant; e is the first evaluation from which the seed-mean difference stays")
        .append(" positive. <i>AR wins</i> when AR's final lead is significant; otherwise <i>no")
        .append(" significant crossover</i>.</li>")
        .append(
            "<li><b>data potential</b>: how many times this row's unique tokens AR needs for its")
        .append(" final score to reach MDM's final score here (linear in log unique tokens between")
        .append(
            " the budgets run), with a bootstrap interval; only where MDM's lead is significant")
        .append(" (&gt;: AR never reaches it within the budgets run).</li>")
        .append("<li><b>val NLL / ELBO</b>: AR's validation NLL and MDM's negative ELBO, nats per")
        .append(" token. The ELBO bounds MDM's NLL from above, so only one direction is a claim:")
        .append(" <b>ELBO&lt;NLL final</b> (weak) — MDM's final ELBO below AR's final NLL;")
        .append(
            " <b>ELBO&lt;NLL best</b> (strong) — below AR's best NLL over its run, i.e. AR with")
        .append(" early stopping. <i>yes</i> when the interval of ELBO − NLL is below 0, <i>no</i>")
        .append(" when above, else <i>inconclusive</i>.</li></ul>\n");
    for (String line : table.split("\n")) {
      if (line.startsWith("  ")) {
        h.append("<p>").append(esc(line.trim())).append("</p>\n");
      }
    }
    if (!report.comparisons().isEmpty()) {
      figure(
          h,
          "figure-a.png",
          "Figure A: per comparison, "
              + (primary == null
                  ? ""
                  : primary
                      + " "
                      + report.metric()
                      + " against epochs, MDM − AR with its 95% interval, ")
              + "the validation loss (AR NLL, MDM ELBO) and the metric against training FLOPs. Lines"
              + " are seed means, bands the seeds' range.");
      if (primary != null) {
        figure(
            h,
            "delta-nll.png",
            "Delta-NLL per byte (right choice minus the wrong ones) against epochs: the choices"
                + " can be told apart better even while the validation loss rises.");
        if (!Figures.budgetPanels(report).isEmpty()) {
          figure(
              h,
              "by-budget.png",
              String.format(
                  Locale.ROOT,
                  "Final %s %s against unique tokens, per model and AR arm.",
                  primary,
                  report.metric()));
        }
      }
    }
    h.append("<p>Machine-readable: <a href=\"report.json\">report.json</a>.</p>\n");
    return h.append("</body></html>\n").toString();
  }

  private static void figure(StringBuilder h, String file, String caption) {
    h.append("<figure><img src=\"")
        .append(file)
        .append("\" alt=\"")
        .append(esc(caption))
        .append("\"><figcaption>")
        .append(esc(caption))
        .append("</figcaption></figure>\n");
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
