package io.crossover.driver.report.render;

import io.crossover.data.stats.Clustered;
import io.crossover.driver.report.Findings;
import io.crossover.driver.report.Report;
import io.crossover.driver.report.Status;
import io.crossover.driver.report.TaskCheck;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** report.html: the summary table with intervals, what the claims mean, and the figures. */
public final class Html {
  private Html() {}

  public static String render(Report report) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Crossover report</title><style>")
        .append("body{font-family:sans-serif;margin:2em;max-width:1500px}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("text-align:right}th{background:#f4f4f4}img{max-width:100%;border:1px solid #eee}")
        .append(".ar{color:#1f77b4}.mdm{color:#d62728}.reproduced{background:#dfd}")
        .append(".contradicted{background:#fdd}.not_significant{background:#ffd}")
        .append(".not_reproduced{background:#fed}.seen_in_these_runs{background:#efe}")
        .append(".contradicted_in_these_runs{background:#fee}.not_shown{background:#ffe}")
        .append(".not_measurable{background:#e8e8f8}")
        .append(".not_tested{background:#eee}</style></head><body>\n");
    h.append("<h1>Crossover report</h1>\n");
    h.append("<h2>Findings</h2>\n<p>The reference study's claims, each decided by rule from the")
        .append(" intervals below; generated, not written. ")
        .append(Clustered.OBJECTIVE_SEEDS)
        .append(" seeds or more per arm speak of the objectives; fewer, of the models trained.")
        .append(" A score <i>holds</i> when its change's 90% interval lies within ±")
        .append(String.format(Locale.ROOT, "%.3f", report.margin()))
        .append(" (two one-sided tests).</p>\n<ul>");
    for (Status s : Status.values()) {
      h.append("<li><i>")
          .append(esc(s.label()))
          .append("</i>: ")
          .append(esc(s.meaning()))
          .append("</li>");
    }
    h.append("</ul>\n").append("<table>\n<tr><th>claim</th><th>status</th><th>finding</th></tr>\n");
    for (Findings.Finding f : report.findings()) {
      h.append("<tr><td style=\"text-align:left\">")
          .append(esc(f.claim()))
          .append("</td><td class=\"")
          .append(f.status().name().toLowerCase(Locale.ROOT))
          .append("\">")
          .append(esc(f.status().label()))
          .append("</td><td style=\"text-align:left\">")
          .append(esc(f.text()))
          .append("</td></tr>\n");
    }
    h.append("</table>\n");
    TaskCheck check = report.taskCheck();
    if (check.result() != null) {
      h.append("<h3>Blind audit of ")
          .append(esc(check.result().task()))
          .append(check.result().passed() ? " (passed)" : " (FAILED: no downstream claim)")
          .append("</h3>\n<pre>")
          .append(esc(check.result().table()))
          .append("</pre>\n");
    }
    h.append("<h2>Comparisons</h2>\n");
    String primary = report.primary();
    h.append("<p>")
        .append(report.comparisons().size())
        .append(" comparison(s) of an <span class=\"ar\">AR</span> arm with")
        .append(" <span class=\"mdm\">MDM</span>: the same model, data, total tokens and seeds,")
        .append(" only the objective differs. Claims are made on the <b>final</b> evaluation of")
        .append(" <b>")
        .append(esc(primary == null ? "(no task)" : primary + " " + report.metric()))
        .append("</b>; every difference is MDM − AR with its 95% interval: items paired by id")
        .append(" across runs (the same task file), resampled by source document, and the seeds'")
        .append(" own spread at Student's t with S − 1 degrees of freedom (one seed: over items")
        .append(" only, for the models trained). A difference whose interval contains 0 is noise,")
        .append(" not a finding.</p>\n");
    String table = ReportFiles.table(report);
    List<Map<String, Object>> summary = report.summary();
    if (!summary.isEmpty()) {
      String[] lines = table.split("\n");
      h.append("<div style=\"overflow-x:auto\"><table>\n");
      // The console table's columns, one cell each (they are separated by two spaces or more).
      for (int i = 1;
          i < lines.length && !lines[i].startsWith("  ") && !lines[i].startsWith("Findings");
          i++) {
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
      h.append("</table></div>\n");
    }
    h.append("<ul>")
        .append("<li><b>crossover</b>: <i>MDM, from epoch e</i> only when MDM's final lead is")
        .append(" significant; e is the first evaluation from which the seed-mean difference stays")
        .append(" positive. <i>AR wins</i> when AR's final lead is significant; otherwise <i>no")
        .append(" significant crossover</i> — or <i>not measurable</i> where the arm it would")
        .append(" rest on (the leader, else MDM) does not score above chance.</li>")
        .append("<li><b>above chance</b>: the arms whose final score's 95% interval lies above")
        .append(" chance; <b>detects</b>: the smallest difference the row detects with 80%")
        .append(" power.</li>")
        .append(
            "<li><b>data potential</b>: how many times this row's unique tokens AR needs for its")
        .append(" final score to reach MDM's final score here (linear in log unique tokens between")
        .append(
            " the budgets run), with a bootstrap interval; only where MDM's lead is significant")
        .append(" (&gt;: AR never reaches it within the budgets run).</li>")
        .append("<li><b>val loss</b>: each arm's validation loss as its run recorded it (AR:")
        .append(" the NLL; MDM: the negative ELBO), nats per token, on sequences drawn across")
        .append(" the whole validation split. The ELBO bounds MDM's NLL from above, so only one")
        .append(" direction is a claim: <b>final</b> (weak) — MDM's final ELBO below AR's final")
        .append(" NLL; <b>best</b> (strong) — below AR's NLL at its best evaluation, i.e. AR with")
        .append(" early stopping, the best chosen on the even-numbered validation documents and")
        .append(" measured on the odd-numbered ones. <i>yes</i> when the interval is below 0,")
        .append(" <i>no</i> when above, else <i>inconclusive</i>.</li></ul>\n");
    for (String line : table.split("\n")) {
      if (line.startsWith("Findings")) {
        break;
      }
      if (line.startsWith("  ")) {
        h.append("<p>").append(esc(line.trim())).append("</p>\n");
      }
    }
    if (!report.comparisons().isEmpty()) {
      figure(h, "figure-a.png", Captions.figureA(report));
      if (primary != null) {
        figure(h, "delta-nll.png", Captions.deltaNll(report));
        if (!Figures.budgetPanels(report).isEmpty()) {
          figure(h, "by-budget.png", Captions.byBudget(report));
        }
      }
    }
    if (LawFigure.drawable(report.laws())) {
      h.append("<h2>Data-reuse law</h2>\n");
      h.append("<pre>").append(esc(ConsoleTable.law(report.laws()))).append("</pre>\n");
      figure(h, "reuse-law.png", Captions.reuseLaw(report.laws()));
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
