package io.crossover.data.cloze;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The blind audit's rules on a task file's metadata: every field of an item besides its context,
 * its choices and its answer (an id, a clustering key, anything a builder left in). A task that
 * others will score with other tools must not let any of them predict the answer. Three kinds of
 * leak are looked for, each field on its own:
 *
 * <ul>
 *   <li>a field whose words predict the answer's <i>position</i> (a hint, a label, an id that
 *       encodes the answer): a naive-Bayes lookup from each word of the field to the answer
 *       positions it came with, trained and scored by 5-fold cross-validation with folds by
 *       document, so that it can only find what carries over to unseen documents;
 *   <li>a field with one entry per choice that marks the answer: the entry equal to another field
 *       of the item (each choice's source document against the context's), the entry unlike the
 *       others, the highest and the lowest entry (where every entry is a number);
 *   <li>a field whose value is the text of one of the choices.
 * </ul>
 *
 * Under no leak each rule's expected accuracy is exactly chance (the cross-validated lookup's
 * prediction does not depend on the held-out answer; the others tie where nothing matches).
 */
final class MetadataRules {
  private MetadataRules() {}

  /** Per rule name, each item's credit (1, 0, or a share of a tie). */
  static Map<String, double[]> credits(List<BlindAudit.Item> items, long seed) {
    Set<String> fields = new LinkedHashSet<>();
    items.forEach(i -> fields.addAll(i.metadata().keySet()));
    Map<String, double[]> out = new LinkedHashMap<>();
    for (String field : fields) {
      String name = "metadata \"" + field + "\": ";
      if (perChoice(items, field)) {
        out.put(name + "the entry equal to another field", perChoiceRule(items, field, Kind.EQUAL));
        out.put(name + "the entry unlike the others", perChoiceRule(items, field, Kind.ODD));
        if (numeric(items, field)) {
          out.put(name + "the highest entry", perChoiceRule(items, field, Kind.HIGHEST));
          out.put(name + "the lowest entry", perChoiceRule(items, field, Kind.LOWEST));
        }
      } else {
        out.put(name + "its words predict the answer's position", lookup(items, field, seed));
        out.put(name + "it is the text of a choice", namesAChoice(items, field));
      }
    }
    return out;
  }

  /** Every item that has the field has one entry per choice (and more than one choice). */
  private static boolean perChoice(List<BlindAudit.Item> items, String field) {
    boolean any = false;
    for (BlindAudit.Item item : items) {
      List<String> v = item.metadata().get(field);
      if (v != null) {
        if (v.size() != item.choices().size() || v.size() < 2) {
          return false;
        }
        any = true;
      }
    }
    return any;
  }

  private static boolean numeric(List<BlindAudit.Item> items, String field) {
    for (BlindAudit.Item item : items) {
      for (String v : item.metadata().getOrDefault(field, List.of())) {
        if (number(v) == null) {
          return false;
        }
      }
    }
    return true;
  }

  private static Double number(String v) {
    try {
      double d = Double.parseDouble(v.strip());
      return Double.isFinite(d) ? d : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private enum Kind {
    EQUAL,
    ODD,
    HIGHEST,
    LOWEST
  }

  private static double[] perChoiceRule(List<BlindAudit.Item> items, String field, Kind kind) {
    double[] credit = new double[items.size()];
    for (int i = 0; i < credit.length; i++) {
      BlindAudit.Item item = items.get(i);
      List<String> entries = item.metadata().get(field);
      double[] scores = new double[item.choices().size()];
      if (entries != null) {
        Set<String> others = new LinkedHashSet<>();
        item.metadata()
            .forEach(
                (k, v) -> {
                  if (!k.equals(field) && v.size() == 1) {
                    others.add(v.get(0));
                  }
                });
        for (int c = 0; c < scores.length; c++) {
          String e = entries.get(c);
          scores[c] =
              switch (kind) {
                case EQUAL -> others.contains(e) ? 1 : 0;
                case ODD -> entries.stream().filter(x -> !x.equals(e)).count();
                case HIGHEST -> number(e);
                case LOWEST -> -number(e);
              };
        }
      }
      credit[i] = BlindAudit.credit(scores, item.answer());
    }
    return credit;
  }

  private static double[] namesAChoice(List<BlindAudit.Item> items, String field) {
    double[] credit = new double[items.size()];
    for (int i = 0; i < credit.length; i++) {
      BlindAudit.Item item = items.get(i);
      Set<String> values = new LinkedHashSet<>();
      item.metadata().getOrDefault(field, List.of()).forEach(v -> values.add(normal(v)));
      double[] scores = new double[item.choices().size()];
      for (int c = 0; c < scores.length; c++) {
        scores[c] = values.contains(normal(item.choices().get(c))) ? 1 : 0;
      }
      credit[i] = BlindAudit.credit(scores, item.answer());
    }
    return credit;
  }

  private static String normal(String s) {
    return s.strip().toLowerCase(Locale.ROOT);
  }

  /**
   * Cross-validated naive Bayes from the field's words to the answer's position: a word seen in the
   * training folds votes log((n_p + 1) / (n + K)) for each position p it came with n_p times out of
   * n (K positions); an item none of whose words was seen ties every position.
   */
  private static double[] lookup(List<BlindAudit.Item> items, String field, long seed) {
    int positions = items.stream().mapToInt(i -> i.choices().size()).max().orElse(0);
    List<Set<String>> words = new ArrayList<>();
    for (BlindAudit.Item item : items) {
      Set<String> w = new LinkedHashSet<>();
      for (String v : item.metadata().getOrDefault(field, List.of())) {
        for (String token : v.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
          if (!token.isEmpty()) {
            w.add(token);
          }
        }
      }
      words.add(w);
    }
    int[] fold = Classifier.folds(items, seed);
    int folds = Arrays.stream(fold).max().orElse(0) + 1;
    double[] credit = new double[items.size()];
    for (int f = 0; f < folds; f++) {
      Map<String, int[]> counts = new HashMap<>();
      for (int i = 0; i < items.size(); i++) {
        if (fold[i] != f) {
          for (String w : words.get(i)) {
            counts.computeIfAbsent(w, k -> new int[positions])[items.get(i).answer()]++;
          }
        }
      }
      for (int i = 0; i < items.size(); i++) {
        if (fold[i] != f) {
          continue;
        }
        double[] scores = new double[items.get(i).choices().size()];
        for (String w : words.get(i)) {
          int[] n = counts.get(w);
          if (n == null) {
            continue;
          }
          int total = Arrays.stream(n).sum();
          for (int p = 0; p < scores.length; p++) {
            scores[p] += Math.log((n[p] + 1.0) / (total + positions));
          }
        }
        credit[i] = BlindAudit.credit(scores, items.get(i).answer());
      }
    }
    return credit;
  }
}
