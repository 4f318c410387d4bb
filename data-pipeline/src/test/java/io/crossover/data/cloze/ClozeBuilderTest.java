package io.crossover.data.cloze;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.Json;
import io.crossover.data.UserException;
import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.DatasetWriter;
import io.crossover.data.shard.Filesystems;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.ByteTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cloze task comes from held-out documents only, deterministically, with matched choices. */
class ClozeBuilderTest {
  @TempDir Path dir;
  Dataset dataset;
  Set<String> trainWords = new HashSet<>();
  List<List<String>> validationDocs = new ArrayList<>();

  /** Training documents use words "t<number>", held-out ones "v<number>": never the same word. */
  @BeforeEach
  void dataset() throws Exception {
    SplittableRandom random = new SplittableRandom(5);
    List<int[]> train = new ArrayList<>();
    for (int d = 0; d < 20; d++) {
      train.add(document("t", 300, random, null));
    }
    List<int[]> validation = new ArrayList<>();
    for (int d = 0; d < 16; d++) {
      List<String> words = new ArrayList<>();
      validation.add(document("v", 600, random, words));
      validationDocs.add(words);
    }
    for (int[] doc : train) {
      for (String w : new String(toBytes(doc), StandardCharsets.UTF_8).split(" ")) {
        trainWords.add(w);
      }
    }
    FileSystem fs = Filesystems.raw(FileSystem.getLocal(new Configuration()));
    DatasetWriter.write(
        fs,
        new org.apache.hadoop.fs.Path(dir.toUri()),
        train,
        validation,
        new ByteTokenizer(),
        new Manifest.Source("test", "tokens", 0),
        4096,
        512);
    dataset = Dataset.open(dir.toString(), new Configuration());
  }

  private static int[] document(
      String prefix, int words, SplittableRandom random, List<String> out) {
    StringBuilder text = new StringBuilder();
    for (int w = 0; w < words; w++) {
      // Zipf-like: small numbers are frequent, so frequencies differ.
      String word = prefix + (int) Math.floor(Math.pow(random.nextDouble(), 3) * 500);
      text.append(w == 0 ? "" : " ").append(word);
      if (out != null) {
        out.add(word);
      }
    }
    return new ByteTokenizer().encode(text.toString());
  }

  private static byte[] toBytes(int[] ids) {
    byte[] b = new byte[ids.length];
    for (int i = 0; i < ids.length; i++) {
      b[i] = (byte) ids[i];
    }
    return b;
  }

  @Test
  void itemsComeFromHeldOutDocumentsOnlyAndTheAnswerIsTheTrueContinuation() {
    List<ClozeBuilder.Item> items =
        ClozeBuilder.build(dataset, new ByteTokenizer(), ClozeBuilder.defaults(40, 1)).items();
    assertEquals(40, items.size());
    for (ClozeBuilder.Item item : items) {
      List<String> words = new ArrayList<>(List.of(item.context().split(" ")));
      for (String choice : item.choices()) {
        words.addAll(List.of(choice.split(" ")));
      }
      for (String w : words) {
        assertTrue(w.startsWith("v"), "a training word in " + item);
        assertTrue(!trainWords.contains(w), w);
      }
      assertEquals(ClozeBuilder.CONTEXT_WORDS, item.context().split(" ").length);
      assertEquals(4, item.choices().size());
      assertEquals(4, new HashSet<>(item.choices()).size(), "distinct choices: " + item);
      // The builder knows where the context starts; the answer follows it.
      List<String> doc = validationDocs.get(item.doc());
      int at = item.word();
      assertEquals(
          String.join(" ", doc.subList(at, at + ClozeBuilder.CONTEXT_WORDS)), item.context());
      int end = at + ClozeBuilder.CONTEXT_WORDS;
      assertEquals(
          String.join(" ", doc.subList(end, end + ClozeBuilder.ANSWER_WORDS)),
          item.choices().get(item.answer()));
      for (String c : item.choices()) {
        assertEquals(ClozeBuilder.ANSWER_WORDS, c.split(" ").length);
      }
    }
  }

  @Test
  void theSameSeedGivesTheSameTaskAndAnotherSeedAnotherOne() throws Exception {
    ByteTokenizer bytes = new ByteTokenizer();
    List<ClozeBuilder.Item> a =
        ClozeBuilder.build(dataset, bytes, ClozeBuilder.defaults(30, 7)).items();
    assertEquals(a, ClozeBuilder.build(dataset, bytes, ClozeBuilder.defaults(30, 7)).items());
    assertNotEquals(a, ClozeBuilder.build(dataset, bytes, ClozeBuilder.defaults(30, 8)).items());
    // The answer's position is spread over the choices, not always first.
    int[] positions = new int[4];
    for (ClozeBuilder.Item item :
        ClozeBuilder.build(dataset, bytes, ClozeBuilder.defaults(100, 3)).items()) {
      positions[item.answer()]++;
    }
    for (int p : positions) {
      assertTrue(p > 10, Arrays.toString(positions));
    }
    Path file = dir.resolve("cloze.jsonl");
    ClozeBuilder.write(
        Filesystems.raw(FileSystem.getLocal(new Configuration())),
        new org.apache.hadoop.fs.Path(file.toUri()),
        a);
    List<String> lines = Files.readAllLines(file);
    assertEquals(30, lines.size());
    // Only what scoring needs and an opaque clustering key: nothing says where a choice came from.
    Set<String> docs = new HashSet<>();
    for (int k = 0; k < lines.size(); k++) {
      var json = Json.MAPPER.readTree(lines.get(k));
      List<String> fields = new ArrayList<>();
      json.fieldNames().forEachRemaining(fields::add);
      assertEquals(Set.of("id", "doc", "context", "choices", "answer"), Set.copyOf(fields));
      assertEquals(String.format("cloze-%02d", k + 1), json.path("id").asText());
      assertTrue(json.path("doc").asText().matches("doc-\\d{3}"), lines.get(k));
      docs.add(json.path("doc").asText());
    }
    // Named in order of first appearance, one name per document.
    assertEquals(a.stream().map(ClozeBuilder.Item::doc).distinct().count(), docs.size());
    assertEquals("doc-001", a.get(0).cluster());
  }

  @Test
  void everyChoiceComesFromTheAnswersStratumAndItemsSpreadOverDocuments() {
    ClozeBuilder.Built built =
        ClozeBuilder.build(dataset, new ByteTokenizer(), ClozeBuilder.defaults(120, 2));
    for (ClozeBuilder.Item item : built.items()) {
      assertEquals(item.doc(), item.sources().get(item.answer()), "the answer's own document");
      assertEquals(4, new HashSet<>(item.sources()).size(), "choices from distinct documents");
      assertTrue(item.stratum().startsWith("inside/L/none/"), item.stratum());
    }
    // 120 items x 4 choices over 16 documents: a fair share is 30 windows per document.
    assertEquals(16, built.documents());
    assertTrue(built.largestShare() <= built.perDocumentCap(), "share " + built.largestShare());
    assertTrue(built.largestShare() <= 15, "items from one document: " + built.largestShare());
  }

  @Test
  void askingForMoreItemsThanTheSplitHoldsSaysWhatToChange() {
    UserException e =
        assertThrows(
            UserException.class,
            () -> ClozeBuilder.build(dataset, new ByteTokenizer(), ClozeBuilder.defaults(5000, 1)));
    assertTrue(e.getMessage().startsWith("cloze: the validation split of "), e.getMessage());
    assertTrue(e.getMessage().contains("--items"), e.getMessage());
    assertTrue(e.getMessage().contains("data.validation.fraction"), e.getMessage());
    // The message names the real limit: that many items can be built, one more cannot.
    Matcher m = Pattern.compile("makes at most (\\d+)").matcher(e.getMessage());
    assertTrue(m.find(), e.getMessage());
    int most = Integer.parseInt(m.group(1));
    assertEquals(
        most,
        ClozeBuilder.build(dataset, new ByteTokenizer(), ClozeBuilder.defaults(most, 1))
            .items()
            .size());
    assertThrows(
        UserException.class,
        () -> ClozeBuilder.build(dataset, new ByteTokenizer(), ClozeBuilder.defaults(most + 1, 1)));
  }
}
