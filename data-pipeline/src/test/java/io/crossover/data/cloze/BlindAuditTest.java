package io.crossover.data.cloze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The blind audit finds a task whose answer can be picked from its surface or from how it was
 * built, and the cloze builder makes tasks it cannot fault: on the shipped Brown slice and on a
 * synthetic corpus built to tempt every rule.
 */
class BlindAuditTest {
  /** The shipped Brown slice: every fifth document held out, the rest for training. */
  static List<List<String[]>> brown() throws Exception {
    Path slice = Path.of("..", "conf", "data", "brown-slice.jsonl.gz");
    List<String[]> train = new ArrayList<>();
    List<String[]> validation = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(slice)), StandardCharsets.UTF_8))) {
      int d = 0;
      for (String line; (line = in.readLine()) != null; d++) {
        JsonNode doc = Json.MAPPER.readTree(line);
        (d % 5 == 2 ? validation : train).add(Words.split(doc.path("text").asText()));
      }
    }
    return List.of(train, validation);
  }

  /**
   * Synthetic documents made to tempt the rules: each document has its own favourite words (so
   * frequencies differ by document), sentences of random length end with '.', '!' or '?' and start
   * with a capital, some words are capitalised names, commas and quotes are sprinkled in, and word
   * lengths and frequencies follow a Zipf law.
   */
  static List<String[]> tempting(int documents, int words, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<String[]> out = new ArrayList<>();
    for (int d = 0; d < documents; d++) {
      int favourite = random.nextInt(50);
      List<String> text = new ArrayList<>();
      boolean start = true;
      while (text.size() < words) {
        int rank =
            random.nextDouble() < 0.3
                ? favourite + random.nextInt(5)
                : (int) Math.floor(Math.pow(random.nextDouble(), 3) * 2000);
        StringBuilder w = new StringBuilder();
        for (int k = 0; k <= rank % 9; k++) {
          w.append((char) ('a' + (rank * 7 + k * 3) % 26));
        }
        String word = w.toString();
        if (start || random.nextDouble() < 0.05) {
          word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
        }
        start = false;
        double p = random.nextDouble();
        if (p < 0.08) {
          word += ".!?".charAt(random.nextInt(3));
          start = true;
        } else if (p < 0.14) {
          word += ",";
        } else if (p < 0.16) {
          word = "\"" + word + "\"";
        }
        text.add(word);
      }
      out.add(text.toArray(String[]::new));
    }
    return out;
  }

  static Map<String, WordCounts> tables(List<String[]> validation, List<String[]> train) {
    Map<String, WordCounts> t = new LinkedHashMap<>();
    t.put("validation split", WordCounts.of(validation));
    t.put("training split", WordCounts.of(train));
    return t;
  }

  /**
   * The selection this project used before: for each item, distractors drawn at random among the 8n
   * windows of other documents closest to the answer in length plus 0.25 x mean log frequency.
   */
  static List<BlindAudit.Item> closestSelection(List<String[]> validation, int n, long seed) {
    ClozeBuilder.Settings s = ClozeBuilder.defaults(n, seed);
    List<ClozeBuilder.Window> windows =
        ClozeBuilder.windows(validation, s, WordCounts.of(validation));
    SplittableRandom random = new SplittableRandom(seed);
    List<ClozeBuilder.Window> shuffled = new ArrayList<>(windows);
    for (int i = shuffled.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      var t = shuffled.get(i);
      shuffled.set(i, shuffled.get(j));
      shuffled.set(j, t);
    }
    List<BlindAudit.Item> out = new ArrayList<>();
    for (ClozeBuilder.Window w : shuffled.subList(0, n)) {
      List<ClozeBuilder.Window> near =
          windows.stream()
              .filter(o -> o.doc() != w.doc() && !o.answer().equalsIgnoreCase(w.answer()))
              .sorted(
                  Comparator.comparingDouble(
                      o ->
                          Math.abs(o.chars() - w.chars()) / (double) Math.max(1, w.chars())
                              + 0.25 * Math.abs(o.logFrequency() - w.logFrequency())))
              .collect(Collectors.toCollection(ArrayList::new));
      List<String> choices = new ArrayList<>(List.of(w.answer()));
      TreeSet<Integer> taken = new TreeSet<>();
      while (choices.size() < 4) {
        int k = random.nextInt(24);
        String a = near.get(k).answer();
        if (taken.add(k) && choices.stream().noneMatch(a::equalsIgnoreCase)) {
          choices.add(a);
        }
        if (taken.size() == 24) {
          break;
        }
      }
      if (choices.size() < 4) {
        continue;
      }
      int answer = random.nextInt(4);
      choices.set(0, choices.get(answer));
      choices.set(answer, w.answer());
      out.add(new BlindAudit.Item(w.context(), choices, answer, "validation-" + w.doc()));
    }
    return out;
  }

  @Test
  void theOldClosestSelectionFailsTheAuditOnTheShippedSlice() throws Exception {
    List<List<String[]>> brown = brown();
    BlindAudit.Result old =
        BlindAudit.run(
            "old cloze",
            closestSelection(brown.get(1), 600, 1),
            tables(brown.get(1), brown.get(0)),
            1);
    System.out.print(old.table());
    assertFalse(old.passed(), old.table());
    assertTrue(
        old.failures().contains("closest to the other choices'"),
        "the medoid rule: " + old.table());
  }

  @Test
  void theStratifiedSelectionPassesOnTheShippedSlice() throws Exception {
    List<List<String[]>> brown = brown();
    ClozeBuilder.Built built =
        ClozeBuilder.build(brown.get(1), ClozeBuilder.defaults(600, 1), "brown");
    BlindAudit.Result audit =
        BlindAudit.run(
            "new cloze",
            ClozeBuilder.auditItems(built.items()),
            tables(brown.get(1), brown.get(0)),
            1);
    System.out.print(audit.table());
    System.out.printf(
        "new cloze: %d items from %d documents, at most %d from one%n",
        built.items().size(), built.documents(), built.largestShare());
    assertTrue(audit.passed(), audit.table());
    assertEquals(brown.get(1).size(), built.documents(), "every held-out document gives items");
  }

  @Test
  void onACorpusBuiltToTemptItTheOldSelectionFailsAndTheNewPasses() {
    List<String[]> train = tempting(60, 1500, 3);
    List<String[]> validation = tempting(30, 1500, 4);
    Map<String, WordCounts> tables = tables(validation, train);
    BlindAudit.Result old = BlindAudit.run("old", closestSelection(validation, 800, 2), tables, 2);
    System.out.print(old.table());
    assertFalse(old.passed(), old.table());
    ClozeBuilder.Built built = ClozeBuilder.build(validation, ClozeBuilder.defaults(600, 2), "t");
    BlindAudit.Result audit =
        BlindAudit.run("new", ClozeBuilder.auditItems(built.items()), tables, 2);
    System.out.print(audit.table());
    assertTrue(audit.passed(), audit.table());
  }

  @Test
  void aContextCueIsFound() {
    // The answer alone starts with a capital after a sentence end: the case rule finds it.
    List<BlindAudit.Item> items = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(1);
    for (int i = 0; i < 400; i++) {
      boolean end = random.nextBoolean();
      int answer = random.nextInt(4);
      List<String> choices = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        String w = "word" + random.nextInt(50) + " next" + random.nextInt(50);
        choices.add(c == answer && end ? "W" + w.substring(1) : w);
      }
      items.add(
          new BlindAudit.Item(end ? "it ended." : "it went", choices, answer, "d" + (i / 10)));
    }
    List<String[]> none = List.<String[]>of(new String[] {"x"});
    BlindAudit.Result audit = BlindAudit.run("cue", items, tables(none, none), 1);
    assertFalse(audit.passed());
    assertTrue(audit.failures().contains("case agrees"), audit.table());
    assertEquals(0.25, audit.chance(), 1e-12);
  }

  /**
   * The builder's own items with planted metadata leaks, as others' tools would read the file: each
   * choice's source document beside the context's (what this builder wrote before), a hint field
   * with the answer's position, an id that encodes it, and a field holding the answer's text. Each
   * one fails the audit by its metadata rule, and the file as written passes.
   */
  @Test
  void plantedMetadataLeaksFailAndTheWrittenFilePasses() throws Exception {
    List<List<String[]>> brown = brown();
    List<ClozeBuilder.Item> built =
        ClozeBuilder.build(brown.get(1), ClozeBuilder.defaults(600, 1), "brown").items();
    Map<String, WordCounts> tables = tables(brown.get(1), brown.get(0));
    BlindAudit.Result clean =
        BlindAudit.run("as written", ClozeBuilder.auditItems(built), tables, 1);
    System.out.print(clean.table());
    assertTrue(clean.passed(), clean.table());
    assertTrue(
        clean.rules().stream().anyMatch(r -> r.rule().startsWith("metadata \"doc\"")),
        "the clustering key is audited too: " + clean.table());
    Map<String, String> leaks = new LinkedHashMap<>();
    leaks.put("sources", "metadata \"sources\": the entry equal to another field");
    leaks.put("hint", "metadata \"hint\": its words predict the answer's position");
    leaks.put("id", "metadata \"id\": its words predict the answer's position");
    leaks.put("answer_text", "metadata \"answer_text\": it is the text of a choice");
    for (var leak : leaks.entrySet()) {
      List<BlindAudit.Item> items = new ArrayList<>();
      for (ClozeBuilder.Item i : built) {
        Map<String, List<String>> meta = new LinkedHashMap<>(ClozeBuilder.metadata(i));
        switch (leak.getKey()) {
          case "sources" -> {
            meta.put("doc", List.of("validation-" + i.doc()));
            meta.put("sources", i.sources().stream().map(d -> "validation-" + d).toList());
          }
          case "hint" -> meta.put("hint", List.of(String.valueOf(i.answer())));
          case "id" -> meta.put("id", List.of(i.id() + "-a" + i.answer()));
          default -> meta.put("answer_text", List.of(i.choices().get(i.answer())));
        }
        items.add(new BlindAudit.Item(i.context(), i.choices(), i.answer(), i.cluster(), meta));
      }
      BlindAudit.Result audit = BlindAudit.run(leak.getKey(), items, tables, 1);
      assertFalse(audit.passed(), leak.getKey() + ": " + audit.table());
      assertTrue(audit.failures().contains(leak.getValue()), audit.failures());
      BlindAudit.Rule rule =
          audit.rules().stream().filter(r -> r.rule().equals(leak.getValue())).findFirst().get();
      assertTrue(rule.accuracy().value() > 0.9, leak.getKey() + ": " + rule);
    }
  }

  @Test
  void aFieldOfNoiseStaysAtChance() {
    // A per-choice field and a scalar field drawn independently of the answer: no rule fails.
    List<BlindAudit.Item> items = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 800; i++) {
      List<String> choices = new ArrayList<>();
      List<String> scores = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        choices.add("w" + i + "x" + c + " v" + random.nextInt(1000));
        scores.add(String.valueOf(random.nextInt(5)));
      }
      Map<String, List<String>> meta = new LinkedHashMap<>();
      meta.put("id", List.of("item-" + i));
      meta.put("tag", List.of("t" + random.nextInt(20)));
      meta.put("scores", scores);
      items.add(new BlindAudit.Item("ctx " + i, choices, random.nextInt(4), "d" + i / 20, meta));
    }
    List<String[]> none = List.<String[]>of(new String[] {"x"});
    BlindAudit.Result audit = BlindAudit.run("noise", items, tables(none, none), 3);
    System.out.print(audit.table());
    assertTrue(audit.passed(), audit.table());
    assertTrue(
        audit.rules().stream()
            .anyMatch(r -> r.rule().equals("metadata \"scores\": the highest entry")),
        audit.table());
  }
}
