package io.crossover.driver.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** report.html: the summary table, the figures and what the numbers mean. */
final class Html {
  private Html() {}

  static String render(Report report, String metric) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Crossover report</title><style>")
        .append("body{font-family:sans-serif;margin:2em;max-width:1400px}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("text-align:right}th{background:#f4f4f4}img{max-width:100%;border:1px solid #eee}")
        .append(".ar{color:#1f77b4}.mdm{color:#d62728}</style></head><body>\n");
    h.append("<h1>Crossover report</h1>\n");
    String primary = report.primary();
    h.append("<p>")
        .append(report.rows().size())
        .append(" pairs of <span class=\"ar\">AR</span> and <span class=\"mdm\">MDM</span> runs")
        .append(" with the same model, data, total tokens and seed. Crossover and data potential")
        .append(" are computed on <b>")
        .append(esc(primary == null ? "(no task)" : primary + " " + metric))
        .append("</b>.</p>\n");
    List<Map<String, String>> summary = report.summary();
    if (!summary.isEmpty()) {
      h.append("<table><tr>");
      for (String c : summary.get(0).keySet()) {
        h.append("<th>").append(esc(c)).append("</th>");
      }
      h.append("</tr>\n");
      for (Map<String, String> row : summary) {
        h.append("<tr>");
        for (String v : row.values()) {
          h.append("<td>").append(esc(v)).append("</td>");
        }
        h.append("</tr>\n");
      }
      h.append("</table>\n");
    }
    h.append("<ul>")
        .append("<li><b>crossover epoch / tokens</b>: the first evaluation after which MDM stays")
        .append(" above AR until the end of the runs; <i>none</i> if MDM is not ahead at the")
        .append(" end.</li>")
        .append("<li><b>data potential</b>: how many times this row's unique tokens AR would")
        .append(" need to reach MDM's best score here, interpolating AR's best score linearly in")
        .append(" log(unique tokens) between the budgets run (&gt;: AR never reached it, a lower")
        .append(" bound; &lt;=: AR reached it at the smallest budget).</li>")
        .append("<li><b>val nll / val elbo</b>: AR's validation NLL and MDM's negative ELBO (an")
        .append(" upper bound on its NLL), in nats per token; not the same quantity.</li>")
        .append("<li><b>val crossover epoch</b>: the first evaluation from which MDM's ELBO stays")
        .append(" below AR's NLL. Since the ELBO bounds MDM's NLL from above, MDM's likelihood is")
        .append(" then the better one.</li></ul>\n");
    for (Row r : report.rows()) {
      for (String d : r.differences()) {
        h.append("<p><b>Unmatched</b> ")
            .append(esc(r.ar().name() + " / " + r.mdm().name() + ": " + d))
            .append("</p>\n");
      }
    }
    for (RunResult r : report.unpaired()) {
      h.append("<p>No partner for ").append(esc(r.name())).append("</p>\n");
    }
    for (RunResult r : report.excluded()) {
      h.append("<p><b>Not compared</b> ")
          .append(esc(r.name() + ": " + r.problem()))
          .append("</p>\n");
    }
    if (!report.rows().isEmpty()) {
      figure(
          h,
          "figure-a.png",
          "Figure A: each task's "
              + metric
              + " and the validation loss against epochs; one row per (model, unique tokens).");
      figure(
          h,
          "delta-nll.png",
          "Delta-NLL (mean NLL of the right choice minus that of the wrong ones) against epochs:"
              + " the choices can be told apart better even while the validation loss rises.");
      if (primary != null) {
        figure(
            h,
            "by-budget.png",
            String.format(
                Locale.ROOT, "Best %s %s against unique tokens, per model.", primary, metric));
      }
    }
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
