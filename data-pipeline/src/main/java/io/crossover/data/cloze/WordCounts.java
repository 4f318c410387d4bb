package io.crossover.data.cloze;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How often each word occurs in a body of text, ignoring case and the punctuation around it; a
 * word's log frequency is add-one smoothed, so that words never seen still have one.
 */
public final class WordCounts {
  private final Map<String, Integer> counts;
  private final long total;

  private WordCounts(Map<String, Integer> counts, long total) {
    this.counts = counts;
    this.total = total;
  }

  /** The counts over documents given as words. */
  public static WordCounts of(List<String[]> documents) {
    Map<String, Integer> counts = new HashMap<>();
    long total = 0;
    for (String[] words : documents) {
      for (String w : words) {
        counts.merge(key(w), 1, Integer::sum);
        total++;
      }
    }
    return new WordCounts(counts, total);
  }

  /** Words counted. */
  public long total() {
    return total;
  }

  /** log((count + 1) / (total + distinct words)). */
  public double log(String word) {
    return Math.log(
        (counts.getOrDefault(key(word), 0) + 1.0) / (total + (double) counts.size() + 1));
  }

  /** The mean log frequency of some words. */
  public double meanLog(String[] words) {
    if (words.length == 0) {
      return 0;
    }
    double s = 0;
    for (String w : words) {
      s += log(w);
    }
    return s / words.length;
  }

  /** The lowest log frequency among some words (the rarest word's). */
  public double minLog(String[] words) {
    double m = 0;
    for (String w : words) {
      m = Math.min(m, log(w));
    }
    return m;
  }

  /** Frequencies ignore case and the punctuation around a word. */
  static String key(String word) {
    String k = word.toLowerCase(Locale.ROOT).replaceAll("^\\p{Punct}+|\\p{Punct}+$", "");
    return k.isEmpty() ? word : k;
  }
}
