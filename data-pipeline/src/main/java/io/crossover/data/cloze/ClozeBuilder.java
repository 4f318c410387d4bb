package io.crossover.data.cloze;

import io.crossover.data.Json;
import io.crossover.data.UserException;
import io.crossover.data.shard.Dataset;
import io.crossover.data.tokenize.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A multiple-choice cloze task built from a dataset's <b>validation split</b> only, so that every
 * item is in-distribution and unseen in training: a context of a few words from a validation
 * document and, as choices, its true continuation and the continuations of windows of <i>other</i>
 * validation documents.
 *
 * <p>The choices are <b>exchangeable with the answer</b> by construction. The split is cut into
 * non-overlapping windows (context, then continuation); windows fall into strata by what a choice
 * shows on its own or against the end of the context — whether the continuation starts a sentence,
 * the case of its first letter, the punctuation its last word ends with, and quantile bins of its
 * length and of its words' mean log frequency over the split. An item is made by drawing a group of
 * windows from one stratum (distinct documents, distinct texts, each window used once) and then
 * choosing <i>uniformly</i> which member gives the context. Every choice is thus a draw from the
 * same stratum and the answer is a uniformly chosen one of them: no rule that looks at the choices
 * (their length, frequency, closeness to each other) or at their agreement with the context's end
 * in case and punctuation can pick the answer above chance. Choosing distractors <i>closest</i> to
 * the answer, as this class once did, makes the answer the centre of its choices, which such a rule
 * finds; {@link BlindAudit} checks every task for it.
 *
 * <p>Each document gives at most its share of windows (a cap per document), so items come from as
 * many documents as the split has; each item names its context's document (opaquely), by which
 * intervals resample. Deterministic for a seed. Written as the {@code mc} JSONL format with nothing
 * but what scoring needs: where each choice came from stays with the builder.
 */
public final class ClozeBuilder {
  /**
   * The defaults: 12 words of context and 2-word choices keep an MDM's left-to-right scoring (one
   * row per token of each choice) affordable on a CPU while leaving the context enough to go on; 4
   * choices as in HellaSwag.
   */
  public static final int CONTEXT_WORDS = 12;

  public static final int ANSWER_WORDS = 2;
  public static final int CHOICES = 4;

  /** Quantile bins of length and of frequency in a stratum key. */
  static final int BINS = 4;

  private ClozeBuilder() {}

  /** The default settings for {@code items} items and a seed. */
  public static Settings defaults(int items, long seed) {
    return new Settings(items, seed, CONTEXT_WORDS, ANSWER_WORDS, CHOICES);
  }

  /**
   * What to build.
   *
   * @param items items to make
   * @param seed fixes the groups, which member of each gives the context, and the choices' order
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
   * One item, with what the builder knows of it. Only {@link #line(Item)} is written: the rest is
   * how the item was made (each choice's document, the stratum), which would give the answer away
   * in the file (a choice from the context's own document is the answer).
   *
   * @param id {@code cloze-<n>}: its place in the task, nothing about where it comes from
   * @param cluster the context's document under an opaque name ({@code doc-<n>}, numbered by first
   *     appearance in the task): what intervals resample
   * @param doc the validation document (its index in the split) the context and answer come from
   * @param word where in that document the context starts (its word index)
   * @param context the words before the blank
   * @param choices the continuations, the right one among them
   * @param answer index of the right continuation
   * @param sources each choice's validation document
   * @param stratum what every choice of the item shares: sentence start, first letter's case, end
   *     punctuation, length bin and frequency bin
   */
  public record Item(
      String id,
      String cluster,
      int doc,
      int word,
      String context,
      List<String> choices,
      int answer,
      List<Integer> sources,
      String stratum) {}

  /**
   * A task and how it was spread.
   *
   * @param items the items
   * @param documents validation documents the items' contexts come from
   * @param perDocumentCap most windows (as answer or distractor) one document could give
   * @param largestShare most items from one document
   */
  public record Built(List<Item> items, int documents, int perDocumentCap, int largestShare) {}

  /** A window of a validation document: context words, then the continuation's words. */
  record Window(
      int doc,
      int word,
      String context,
      String answer,
      boolean sentenceStart,
      char firstCase,
      String trailing,
      int chars,
      double logFrequency) {

    /** Everything but the bins: start of a sentence, first letter's case, end punctuation. */
    String shape() {
      return (sentenceStart ? "start" : "inside") + "/" + firstCase + "/" + trailing;
    }
  }

  /**
   * Builds the items from the validation split of {@code dataset}, decoded by {@code tokenizer}.
   */
  public static Built build(Dataset dataset, Tokenizer tokenizer, Settings s) {
    List<String[]> documents = Words.of(dataset, dataset.manifest().validation(), tokenizer, 0);
    return build(documents, s, dataset.root().toString());
  }

  /** Training tokens whose words the audit counts (a training split may be far larger). */
  public static final long AUDIT_TRAINING_TOKENS = 16L << 20;

  /**
   * A built task and its blind audit.
   *
   * @param built the task
   * @param audit its surface baselines
   */
  public record Audited(Built built, BlindAudit.Result audit) {}

  /**
   * Builds the task and audits it with word frequencies counted over the validation split and over
   * (the first {@link #AUDIT_TRAINING_TOKENS} tokens of) the training split.
   */
  public static Audited buildAndAudit(
      Dataset dataset, Tokenizer tokenizer, Settings s, String task) {
    List<String[]> validation = Words.of(dataset, dataset.manifest().validation(), tokenizer, 0);
    Built built = build(validation, s, dataset.root().toString());
    Map<String, WordCounts> tables = new LinkedHashMap<>();
    tables.put("validation split", WordCounts.of(validation));
    tables.put(
        "training split",
        WordCounts.of(
            Words.of(dataset, dataset.manifest().train(), tokenizer, AUDIT_TRAINING_TOKENS)));
    return new Audited(built, BlindAudit.run(task, auditItems(built.items()), tables, s.seed()));
  }

  /**
   * The items as the audit sees them: exactly what {@link #write} puts in the file, so that the
   * audit's metadata rules look at every field a scorer of the file would see.
   */
  public static List<BlindAudit.Item> auditItems(List<Item> items) {
    return items.stream()
        .map(
            i ->
                new BlindAudit.Item(i.context(), i.choices(), i.answer(), i.cluster(), metadata(i)))
        .toList();
  }

  /** The fields of an item's written line besides what scoring reads, as the loader sees them. */
  static Map<String, List<String>> metadata(Item item) {
    try {
      return BlindAudit.Item.metadata(
          Json.MAPPER.readTree(Json.line(line(item))), List.of("context", "choices", "answer"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read back the line of " + item.id(), e);
    }
  }

  /** The refusal of a task that fails its audit: which rule beats chance and by how much. */
  public static UserException refusal(BlindAudit.Result audit, String fix) {
    return new UserException(
        "cloze: the task fails its blind audit, so it was not written: "
            + audit.failures()
            + " (95% simultaneous intervals over "
            + audit.rules().size()
            + " rules: surface baselines and metadata). A valid construction fails by chance in at most 2.5% of seeds: "
            + fix);
  }

  /** Builds the items from documents given as words. */
  static Built build(List<String[]> documents, Settings s, String where) {
    WordCounts counts = WordCounts.of(documents);
    List<Window> windows = windows(documents, s, counts);
    long docs = windows.stream().mapToInt(Window::doc).distinct().count();
    if (docs < s.choices()) {
      throw new UserException(
          "cloze: the validation split of "
              + where
              + " has "
              + docs
              + " document(s) long enough for a window of "
              + (s.contextWords() + s.answerWords())
              + " words, and an item's "
              + s.choices()
              + " choices come from "
              + s.choices()
              + " distinct documents; hold out more documents (data.validation.fraction or"
              + " data.validation.tokens, then ingest again) or ask for fewer --choices");
    }
    Map<String, List<Window>> strata = strata(windows);
    if (windows.size() < (long) s.items() * s.choices()) {
      throw tooSmall(where, windows.size(), docs, s, most(strata, s));
    }
    int fair = (int) Math.ceil((double) s.items() * s.choices() / docs);
    // A document may give its share and a quarter more; where strata are too thin for that, the
    // cap is raised step by step (deterministically) before giving up.
    for (double slack : new double[] {1.25, 1.5, 2, 3, Double.POSITIVE_INFINITY}) {
      int cap = slack == Double.POSITIVE_INFINITY ? Integer.MAX_VALUE : (int) (fair * slack);
      List<Item> items = groups(strata, s, cap, new SplittableRandom(s.seed()));
      if (items.size() == s.items()) {
        int[] perDoc = new int[documents.size()];
        for (Item item : items) {
          perDoc[item.doc()]++;
        }
        return new Built(
            items,
            (int) Arrays.stream(perDoc).filter(c -> c > 0).count(),
            cap,
            Arrays.stream(perDoc).max().orElse(0));
      }
    }
    throw tooSmall(where, windows.size(), docs, s, most(strata, s));
  }

  /** The most items the strata make with these settings (no cap per document). */
  private static int most(Map<String, List<Window>> strata, Settings s) {
    Settings all =
        new Settings(Integer.MAX_VALUE, s.seed(), s.contextWords(), s.answerWords(), s.choices());
    return groups(strata, all, Integer.MAX_VALUE, new SplittableRandom(s.seed())).size();
  }

  private static UserException tooSmall(
      String where, long windows, long docs, Settings s, long most) {
    return new UserException(
        "cloze: the validation split of "
            + where
            + " has "
            + windows
            + " windows of "
            + (s.contextWords() + s.answerWords())
            + " words in "
            + docs
            + " documents: not enough for "
            + s.items()
            + " items whose "
            + s.choices()
            + " choices come from one stratum of distinct documents, each window used once: it"
            + " makes at most "
            + most
            + "; ask for that many or fewer with --items, shorter contexts with --context-words,"
            + " or hold out more text (data.validation.fraction)");
  }

  /** Every non-overlapping window of every document, with the features strata are made of. */
  static List<Window> windows(List<String[]> documents, Settings s, WordCounts counts) {
    List<Window> out = new ArrayList<>();
    int span = s.contextWords() + s.answerWords();
    for (int d = 0; d < documents.size(); d++) {
      String[] words = documents.get(d);
      for (int start = 0; start + span <= words.length; start += span) {
        String[] answer = Arrays.copyOfRange(words, start + s.contextWords(), start + span);
        String text = String.join(" ", answer);
        out.add(
            new Window(
                d,
                start,
                String.join(" ", Arrays.copyOfRange(words, start, start + s.contextWords())),
                text,
                Surface.endsSentence(words[start + s.contextWords() - 1]),
                Surface.firstCase(text),
                Surface.trailing(text),
                text.length(),
                counts.meanLog(answer)));
      }
    }
    return out;
  }

  /** Windows by stratum: shape, then quantile bins of length and of mean log frequency. */
  static Map<String, List<Window>> strata(List<Window> windows) {
    double[] lengths = windows.stream().mapToDouble(Window::chars).sorted().toArray();
    double[] freqs = windows.stream().mapToDouble(Window::logFrequency).sorted().toArray();
    Map<String, List<Window>> out = new TreeMap<>();
    for (Window w : windows) {
      String key =
          w.shape() + "/len" + bin(lengths, w.chars()) + "/freq" + bin(freqs, w.logFrequency());
      out.computeIfAbsent(key, k -> new ArrayList<>()).add(w);
    }
    return out;
  }

  /** The quantile bin (0..BINS-1) of {@code x} among the sorted values. */
  static int bin(double[] sorted, double x) {
    int rank = Arrays.binarySearch(sorted, x);
    if (rank < 0) {
      rank = -rank - 1;
    }
    // Equal values share a bin: use the rank of the first of them.
    while (rank > 0 && sorted[rank - 1] == x) {
      rank--;
    }
    return Math.min(BINS - 1, (int) ((long) rank * BINS / sorted.length));
  }

  private static List<Item> groups(
      Map<String, List<Window>> strata, Settings s, int cap, SplittableRandom random) {
    Map<String, List<Window>> left = new TreeMap<>();
    for (var e : strata.entrySet()) {
      if (e.getValue().size() < s.choices()) {
        continue;
      }
      List<Window> shuffled = new ArrayList<>(e.getValue());
      shuffle(shuffled, random);
      left.put(e.getKey(), shuffled);
    }
    Map<Integer, Integer> uses = new HashMap<>();
    // Documents get opaque names in order of first appearance: nothing in a name says where in
    // the split it is.
    Map<Integer, String> names = new HashMap<>();
    int width = String.valueOf(s.items()).length();
    List<Item> out = new ArrayList<>();
    while (out.size() < s.items() && !left.isEmpty()) {
      String key = pick(left, random);
      List<Window> pool = left.get(key);
      List<Window> group = new ArrayList<>();
      Set<Integer> docs = new HashSet<>();
      Set<String> texts = new HashSet<>();
      for (Window w : pool) {
        if (uses.getOrDefault(w.doc(), 0) < cap
            && !docs.contains(w.doc())
            && !texts.contains(w.answer().toLowerCase(Locale.ROOT))) {
          group.add(w);
          docs.add(w.doc());
          texts.add(w.answer().toLowerCase(Locale.ROOT));
          if (group.size() == s.choices()) {
            break;
          }
        }
      }
      if (group.size() < s.choices()) {
        left.remove(key);
        continue;
      }
      pool.removeAll(group);
      if (pool.size() < s.choices()) {
        left.remove(key);
      }
      for (Window w : group) {
        uses.merge(w.doc(), 1, Integer::sum);
      }
      // The group is drawn before the item is: which member gives the context is uniform, so
      // the answer is exchangeable with the other choices.
      shuffle(group, random);
      int answer = random.nextInt(group.size());
      Window item = group.get(answer);
      String cluster =
          names.computeIfAbsent(
              item.doc(), d -> String.format(Locale.ROOT, "doc-%03d", names.size() + 1));
      out.add(
          new Item(
              String.format(Locale.ROOT, "cloze-%0" + width + "d", out.size() + 1),
              cluster,
              item.doc(),
              item.word(),
              item.context(),
              group.stream().map(Window::answer).toList(),
              answer,
              group.stream().map(Window::doc).toList(),
              key));
    }
    return out;
  }

  /** A stratum, with probability proportional to the windows it has left. */
  private static String pick(Map<String, List<Window>> left, SplittableRandom random) {
    long total = 0;
    for (List<Window> l : left.values()) {
      total += l.size();
    }
    long r = random.nextLong(total);
    for (var e : left.entrySet()) {
      r -= e.getValue().size();
      if (r < 0) {
        return e.getKey();
      }
    }
    throw new IllegalStateException("no stratum left");
  }

  private static <T> void shuffle(List<T> list, SplittableRandom random) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T t = list.get(i);
      list.set(i, list.get(j));
      list.set(j, t);
    }
  }

  /**
   * An item as the file holds it: what scoring needs ({@code id}, {@code context}, {@code choices},
   * {@code answer}) and the clustering key ({@code doc}, the context's document under an opaque
   * name). Nothing else: any other field a scorer could read is one that might predict the answer.
   */
  public static Map<String, Object> line(Item item) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("id", item.id());
    line.put("doc", item.cluster());
    line.put("context", item.context());
    line.put("choices", item.choices());
    line.put("answer", item.answer());
    return line;
  }

  /** Writes the items as {@code mc} JSONL, one {@link #line(Item)} each. */
  public static void write(FileSystem fs, Path file, List<Item> items) throws IOException {
    try (OutputStream out = fs.create(file, true)) {
      for (Item item : items) {
        out.write(Json.line(line(item)).getBytes(StandardCharsets.UTF_8));
        out.write('\n');
      }
    }
  }
}
