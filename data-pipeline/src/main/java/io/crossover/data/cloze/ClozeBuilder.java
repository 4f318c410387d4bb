package io.crossover.data.cloze;

import io.crossover.data.Json;
import io.crossover.data.UserException;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.IntColumnFile;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A multiple-choice cloze task built from a dataset's <b>validation split</b> only, so that every
 * item is in-distribution and provably unseen in training: a context of a few dozen words from a
 * validation document, its true continuation (a few words), and distractors that are the same
 * number of words taken from <i>other</i> validation documents, matched in length (characters) and,
 * as far as the pool allows, in word frequency (mean log frequency over the split), so that neither
 * length nor rarity gives the answer away. Deterministic for a seed. Written as the {@code mc}
 * JSONL format.
 */
public final class ClozeBuilder {
  /**
   * The defaults: 12 words of context and 2-word choices keep an MDM's exact chain-rule scoring
   * (one row per token of each choice) affordable on a CPU while leaving the context enough to go
   * on; 4 choices as in HellaSwag.
   */
  public static final int CONTEXT_WORDS = 12;

  public static final int ANSWER_WORDS = 2;
  public static final int CHOICES = 4;

  private ClozeBuilder() {}

  /** The default settings for {@code items} items and a seed. */
  public static Settings defaults(int items, long seed) {
    return new Settings(items, seed, CONTEXT_WORDS, ANSWER_WORDS, CHOICES);
  }

  /**
   * What to build.
   *
   * @param items items to make
   * @param seed fixes which windows become items, the distractors and the order of the choices
   * @param contextWords words of context before the blank
   * @param answerWords words in each choice
   * @param choices choices per item (the answer and choices-1 distractors)
   */
  public record Settings(int items, long seed, int contextWords, int answerWords, int choices) {
    public Settings {
      if (items < 1 || contextWords < 1 || answerWords < 1 || choices < 2) {
        throw new UserException(
            "cloze: items, context words and answer words must be >= 1 and choices >= 2");
      }
    }
  }

  /**
   * One item.
   *
   * @param id {@code cloze-<document>-<word>}: where in the validation split its context starts
   * @param context the words before the blank
   * @param choices the continuations, the right one among them
   * @param answer index of the right continuation
   */
  public record Item(String id, String context, List<String> choices, int answer) {}

  /** A window of a validation document: context words, then the answer's words. */
  private record Window(int doc, int word, String context, String answer, double logFrequency) {}

  /**
   * Builds the items from the validation split of {@code dataset}, decoded by {@code tokenizer}.
   */
  public static List<Item> build(Dataset dataset, Tokenizer tokenizer, Settings s) {
    List<String[]> documents = validationWords(dataset, tokenizer);
    Map<String, Integer> counts = new HashMap<>();
    long total = 0;
    for (String[] words : documents) {
      for (String w : words) {
        counts.merge(key(w), 1, Integer::sum);
        total++;
      }
    }
    List<Window> windows = new ArrayList<>();
    int span = s.contextWords() + s.answerWords();
    for (int d = 0; d < documents.size(); d++) {
      String[] words = documents.get(d);
      // Windows do not overlap, so no item's context contains another's answer.
      for (int start = 0; start + span <= words.length; start += span) {
        String[] answer = Arrays.copyOfRange(words, start + s.contextWords(), start + span);
        double f = 0;
        for (String w : answer) {
          f += Math.log((double) counts.get(key(w)) / total);
        }
        windows.add(
            new Window(
                d,
                start,
                String.join(" ", Arrays.copyOfRange(words, start, start + s.contextWords())),
                String.join(" ", answer),
                f / answer.length));
      }
    }
    long docsWithWindows = windows.stream().mapToInt(Window::doc).distinct().count();
    if (windows.size() < s.items() || docsWithWindows < s.choices()) {
      throw new UserException(
          "cloze: the validation split of "
              + dataset.root()
              + " has room for "
              + windows.size()
              + " items of "
              + span
              + " words (in "
              + docsWithWindows
              + " documents); ask for fewer with --items, shorter contexts with"
              + " --context-words, or hold out more text (data.validation.fraction)");
    }
    SplittableRandom random = new SplittableRandom(s.seed());
    List<Window> shuffled = new ArrayList<>(windows);
    for (int i = shuffled.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      Window t = shuffled.get(i);
      shuffled.set(i, shuffled.get(j));
      shuffled.set(j, t);
    }
    List<Item> out = new ArrayList<>();
    for (Window w : shuffled.subList(0, s.items())) {
      List<String> choices = new ArrayList<>();
      choices.add(w.answer());
      for (Window d : distractors(w, windows, s.choices() - 1, random)) {
        choices.add(d.answer());
      }
      // The answer goes to a uniform position.
      int answer = random.nextInt(choices.size());
      choices.set(0, choices.get(answer));
      choices.set(answer, w.answer());
      out.add(new Item("cloze-" + w.doc() + "-" + w.word(), w.context(), choices, answer));
    }
    return out;
  }

  /**
   * {@code n} answers of other documents, closest in length (relative) plus frequency (mean log
   * frequency, in nats): chosen at random among the 8n closest, distinct from each other and from
   * the answer.
   */
  private static List<Window> distractors(
      Window item, List<Window> pool, int n, SplittableRandom random) {
    List<Window> candidates = new ArrayList<>();
    for (Window w : pool) {
      if (w.doc() != item.doc() && !w.answer().equalsIgnoreCase(item.answer())) {
        candidates.add(w);
      }
    }
    int length = item.answer().length();
    candidates.sort(
        Comparator.comparingDouble(
            w ->
                Math.abs(w.answer().length() - length) / (double) Math.max(1, length)
                    + 0.25 * Math.abs(w.logFrequency() - item.logFrequency())));
    List<Window> near = candidates.subList(0, Math.min(candidates.size(), 8 * n));
    List<Window> out = new ArrayList<>();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < near.size(); i++) {
      order.add(i);
    }
    for (int i = order.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order.get(i);
      order.set(i, order.get(j));
      order.set(j, t);
    }
    for (int i : order) {
      Window w = near.get(i);
      if (out.size() < n && out.stream().noneMatch(o -> o.answer().equalsIgnoreCase(w.answer()))) {
        out.add(w);
      }
    }
    return out;
  }

  /** Frequencies ignore case and the punctuation around a word. */
  private static String key(String word) {
    String k = word.toLowerCase(Locale.ROOT).replaceAll("^\\p{Punct}+|\\p{Punct}+$", "");
    return k.isEmpty() ? word : k;
  }

  /** Each validation document as its words (whitespace-separated), in stream order. */
  static List<String[]> validationWords(Dataset dataset, Tokenizer tokenizer) {
    Manifest.Split split = dataset.manifest().validation();
    List<String[]> out = new ArrayList<>();
    try (BufferAllocator allocator = new RootAllocator()) {
      int[] lengths = dataset.documentLengths(split, allocator);
      int doc = 0;
      int at = 0;
      int[] current = lengths.length == 0 ? new int[0] : new int[lengths[0]];
      for (int shard = 0; shard < split.shards().size(); shard++) {
        int[] tokens;
        try (IntColumnFile f = dataset.openShard(split, shard, true, allocator)) {
          tokens = f.readAll();
        }
        for (int t : tokens) {
          current[at++] = t;
          if (at == current.length) {
            // The last token of a document is its EOD.
            String text = tokenizer.decode(Arrays.copyOf(current, current.length - 1));
            out.add(
                Arrays.stream(text.trim().split("\\s+"))
                    .filter(w -> !w.isEmpty())
                    .toArray(String[]::new));
            doc++;
            at = 0;
            current = doc < lengths.length ? new int[lengths[doc]] : new int[0];
          }
        }
      }
    }
    return out;
  }

  /** Writes the items as {@code mc} JSONL. */
  public static void write(FileSystem fs, Path file, List<Item> items) throws IOException {
    try (OutputStream out = fs.create(file, true)) {
      for (Item item : items) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("id", item.id());
        line.put("context", item.context());
        line.put("choices", item.choices());
        line.put("answer", item.answer());
        out.write(Json.line(line).getBytes(StandardCharsets.UTF_8));
        out.write('\n');
      }
    }
  }
}
