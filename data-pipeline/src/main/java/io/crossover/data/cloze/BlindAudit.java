package io.crossover.data.cloze;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.stats.Clustered;
import io.crossover.data.stats.Estimate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Scores a multiple-choice task without its context's meaning: a panel of surface baselines that a
 * valid task must leave at chance. A rule picks the choice it scores highest (ties share the
 * credit). The panel: length (longest, shortest, closest to and farthest from the other choices),
 * word frequency under each table given (highest, lowest, closest, farthest), agreement of a
 * choice's first-letter case and of its end punctuation with the end of the context, and a
 * conditional-logit classifier over all of these features, trained and scored by 5-fold
 * cross-validation with folds by document; and, for every field of an item besides its context,
 * choices and answer, the {@link MetadataRules} (a task file others will score must not carry a
 * field that predicts the answer).
 *
 * <p>Each rule's accuracy carries an interval over documents (items of one document are not
 * independent); the two-sided intervals are simultaneous at 95% (Bonferroni over the rules), so
 * that a valid task fails the audit (some interval above chance) in at most 2.5% of builds rather
 * than in most. A task fails when any rule's interval lies above chance, and when its items come
 * from a single document (nothing can be bounded).
 */
public final class BlindAudit {
  private BlindAudit() {}

  /** Family-wise coverage of the rules' intervals. */
  public static final double LEVEL = 0.95;

  /**
   * A task item as the audit sees it.
   *
   * @param context the text before the choices
   * @param choices the choices (a leading delimiter space is ignored)
   * @param answer the right choice
   * @param cluster its source document (items of one document move together)
   * @param metadata every other field of the item as its file holds it (id and clustering key
   *     included), each value as text: one entry for a single value, one per element for a list
   */
  public record Item(
      String context,
      List<String> choices,
      int answer,
      String cluster,
      Map<String, List<String>> metadata) {
    public Item {
      // In file order: the rules, and the report that lists them, keep it.
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** An item without metadata. */
    public Item(String context, List<String> choices, int answer, String cluster) {
      this(context, choices, answer, cluster, Map.of());
    }

    /**
     * A JSON line's fields besides those {@code content} names (what its format builds the context,
     * choices and answer from), in file order, each as text: one entry for a value, one per element
     * for a list. The loader and the builder both read metadata this way, so that the builder
     * audits what a scorer of the file will see.
     */
    public static Map<String, List<String>> metadata(JsonNode line, List<String> content) {
      Map<String, List<String>> out = new LinkedHashMap<>();
      line.fields()
          .forEachRemaining(
              e -> {
                if (!content.contains(e.getKey())) {
                  List<String> values = new ArrayList<>();
                  if (e.getValue().isArray()) {
                    e.getValue().forEach(v -> values.add(text(v)));
                  } else {
                    values.add(text(e.getValue()));
                  }
                  out.put(e.getKey(), values);
                }
              });
      return out;
    }

    private static String text(JsonNode v) {
      return v.isValueNode() ? v.asText() : v.toString();
    }
  }

  /**
   * One baseline's result.
   *
   * @param rule what it picks
   * @param accuracy the share of items it gets right, with its simultaneous interval
   * @param aboveChance the interval lies above chance
   */
  public record Rule(String rule, Estimate accuracy, boolean aboveChance) {}

  /**
   * The audit of one task.
   *
   * @param task its name
   * @param items items audited
   * @param documents source documents they come from
   * @param chance the expected accuracy of a blind guess (mean of 1 / choices)
   * @param perRuleLevel each interval's own level (Bonferroni: 1 - 0.05 / rules)
   * @param frequencies where the word frequencies were counted, with the words counted
   * @param rules every baseline
   */
  public record Result(
      String task,
      int items,
      int documents,
      double chance,
      double perRuleLevel,
      Map<String, Long> frequencies,
      List<Rule> rules) {

    /** No baseline beats chance, and there were documents enough to tell. */
    public boolean passed() {
      return documents >= 2 && rules.stream().noneMatch(Rule::aboveChance);
    }

    /** The best baseline. */
    public Rule best() {
      Rule best = rules.get(0);
      for (Rule r : rules) {
        if (r.accuracy().value() > best.accuracy().value()) {
          best = r;
        }
      }
      return best;
    }

    /** The rules above chance, each with its accuracy and interval, in one line. */
    public String failures() {
      List<String> out = new ArrayList<>();
      if (documents < 2) {
        out.add(
            "all "
                + items
                + " items come from one document, so no interval can be put on a baseline (give"
                + " each item its source document, \"doc\")");
      }
      for (Rule r : rules) {
        if (r.aboveChance()) {
          out.add(
              String.format(
                  Locale.ROOT,
                  "\"%s\" picks the answer in %.3f of %d items [%.3f, %.3f], above chance %.3f"
                      + " by %.3f",
                  r.rule(),
                  r.accuracy().value(),
                  items,
                  r.accuracy().low(),
                  r.accuracy().high(),
                  chance,
                  r.accuracy().value() - chance));
        }
      }
      return String.join("; ", out);
    }

    /** A table for the console. */
    public String table() {
      StringBuilder out = new StringBuilder();
      out.append(
          String.format(
              Locale.ROOT,
              "blind audit of %s: %,d items from %d documents, chance %.3f; %d rules (surface and"
                  + " metadata),"
                  + " 95%% simultaneous intervals by document%n",
              task,
              items,
              documents,
              chance,
              rules.size()));
      int width = rules.stream().mapToInt(r -> r.rule().length()).max().orElse(0);
      for (Rule r : rules) {
        out.append(
            String.format(
                Locale.ROOT,
                "  %-" + width + "s %.3f [%.3f, %.3f]%s%n",
                r.rule(),
                r.accuracy().value(),
                r.accuracy().low(),
                r.accuracy().high(),
                r.aboveChance() ? "  ABOVE CHANCE" : ""));
      }
      Rule best = best();
      out.append(
          passed()
              ? String.format(
                  Locale.ROOT,
                  "  passed: no baseline beats chance (best: %s, %.3f)%n",
                  best.rule(),
                  best.accuracy().value())
              : "  FAILED: " + failures() + "\n");
      return out.toString();
    }
  }

  /** A choice's surface features. */
  record Choice(
      int chars, int words, char firstCase, String trailing, double[] meanLog, double[] minLog) {}

  /**
   * Audits {@code items} with word frequencies from each of {@code frequencies} (e.g. the
   * validation and the training split); {@code seed} fixes the classifier's folds.
   */
  public static Result run(
      String task, List<Item> items, Map<String, WordCounts> frequencies, long seed) {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("no items to audit");
    }
    List<String> tables = new ArrayList<>(frequencies.keySet());
    List<Choice[]> choices = new ArrayList<>();
    for (Item item : items) {
      Choice[] cs = new Choice[item.choices().size()];
      for (int c = 0; c < cs.length; c++) {
        String text = item.choices().get(c).strip();
        String[] words = Words.split(text);
        double[] mean = new double[tables.size()];
        double[] min = new double[tables.size()];
        for (int t = 0; t < tables.size(); t++) {
          mean[t] = frequencies.get(tables.get(t)).meanLog(words);
          min[t] = frequencies.get(tables.get(t)).minLog(words);
        }
        cs[c] =
            new Choice(
                text.length(),
                words.length,
                Surface.firstCase(text),
                Surface.trailing(text),
                mean,
                min);
      }
      choices.add(cs);
    }
    Map<String, double[]> credits = new LinkedHashMap<>();
    rules(credits, "length", items, choices, c -> c.chars());
    for (int t = 0; t < tables.size(); t++) {
      int table = t;
      rules(credits, "word frequency, " + tables.get(t), items, choices, c -> c.meanLog()[table]);
    }
    credits.put(
        "first letter's case agrees with the context's end",
        pick(items, choices, (item, c) -> caseAgrees(item, c) ? 1 : 0));
    credits.put(
        "end punctuation is the context's",
        pick(
            items,
            choices,
            (item, c) -> c.trailing().equals(Surface.trailing(item.context())) ? 1 : 0));
    credits.put(
        "classifier over all of these (5-fold, by document)",
        Classifier.crossValidated(items, choices, tables.size(), seed));
    credits.putAll(MetadataRules.credits(items, seed));
    int[] cluster = Clustered.dense(items.stream().map(Item::cluster).toList());
    double chance = 0;
    for (Item item : items) {
      chance += 1.0 / item.choices().size() / items.size();
    }
    double perRule = 1 - (1 - LEVEL) / credits.size();
    List<Rule> rules = new ArrayList<>();
    for (var e : credits.entrySet()) {
      Estimate a = Clustered.mean(e.getValue(), cluster, perRule);
      // A margin below float rounding: a rule that only ever ties sits exactly at chance.
      rules.add(new Rule(e.getKey(), a, a.above(chance + 1e-9)));
    }
    Map<String, Long> counted = new LinkedHashMap<>();
    frequencies.forEach((k, v) -> counted.put(k, v.total()));
    return new Result(
        task, items.size(), Clustered.count(cluster), chance, perRule, counted, rules);
  }

  static boolean caseAgrees(Item item, Choice c) {
    return (c.firstCase() == 'U') == Surface.endsSentence(item.context());
  }

  /** Highest, lowest, closest to the others, farthest from the others. */
  private static void rules(
      Map<String, double[]> out,
      String what,
      List<Item> items,
      List<Choice[]> choices,
      ToDoubleFunction<Choice> x) {
    out.put("highest " + what, pick(items, choices, (item, c) -> x.applyAsDouble(c)));
    out.put("lowest " + what, pick(items, choices, (item, c) -> -x.applyAsDouble(c)));
    out.put(what + " closest to the other choices'", spread(items, choices, x, -1));
    out.put(what + " farthest from the other choices'", spread(items, choices, x, 1));
  }

  /** A choice's score against the others: the summed absolute difference, with a sign. */
  private static double[] spread(
      List<Item> items, List<Choice[]> choices, ToDoubleFunction<Choice> x, int sign) {
    double[] credit = new double[items.size()];
    for (int i = 0; i < credit.length; i++) {
      Choice[] cs = choices.get(i);
      double[] scores = new double[cs.length];
      for (int c = 0; c < cs.length; c++) {
        for (Choice other : cs) {
          scores[c] += sign * Math.abs(x.applyAsDouble(cs[c]) - x.applyAsDouble(other));
        }
      }
      credit[i] = credit(scores, items.get(i).answer());
    }
    return credit;
  }

  private interface Score {
    double of(Item item, Choice c);
  }

  private static double[] pick(List<Item> items, List<Choice[]> choices, Score score) {
    double[] credit = new double[items.size()];
    for (int i = 0; i < credit.length; i++) {
      Choice[] cs = choices.get(i);
      double[] scores = new double[cs.length];
      for (int c = 0; c < cs.length; c++) {
        scores[c] = score.of(items.get(i), cs[c]);
      }
      credit[i] = credit(scores, items.get(i).answer());
    }
    return credit;
  }

  /** 1 / (choices tied for the highest score) when the answer is one of them, else 0. */
  static double credit(double[] scores, int answer) {
    double best = Double.NEGATIVE_INFINITY;
    for (double s : scores) {
      best = Math.max(best, s);
    }
    int tied = 0;
    for (double s : scores) {
      if (Math.abs(s - best) <= 1e-12 * Math.max(1, Math.abs(best))) {
        tied++;
      }
    }
    return Math.abs(scores[answer] - best) <= 1e-12 * Math.max(1, Math.abs(best)) ? 1.0 / tied : 0;
  }
}
