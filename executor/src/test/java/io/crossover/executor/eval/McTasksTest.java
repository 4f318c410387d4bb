package io.crossover.executor.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.Sha256;
import io.crossover.data.UserException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class McTasksTest {
  @TempDir Path dir;

  @Test
  void readsTheThreeFormats() throws Exception {
    Path mc =
        Files.writeString(
            dir.resolve("mc.jsonl"),
            "{\"id\":\"a\",\"context\":\"It was\",\"choices\":[\"red\",\"blue\"],\"answer\":1}\n\n");
    Path hs =
        Files.writeString(
            dir.resolve("hs.jsonl"),
            "{\"ind\":4,\"ctx\":\"A man\",\"endings\":[\"runs.\",\"sits.\",\"eats.\",\"flies.\"],\"label\":\"2\"}\n");
    Path mmlu =
        Files.writeString(
            dir.resolve("m.csv"), "\"What is 2+2, really?\",3,4,\"5, or \"\"five\"\"\",6,B\n");
    McTasks.Task a = McTasks.load("cloze=mc:" + mc, 0, new Configuration());
    assertEquals(
        new McItem("a", "It was", List.of(" red", " blue"), 1, "a", Map.of("id", List.of("a"))),
        a.items().get(0));
    McTasks.Task b = McTasks.load("hs=hellaswag:" + hs, 0, new Configuration());
    assertEquals(
        new McItem(
            "4",
            "A man",
            List.of(" runs.", " sits.", " eats.", " flies."),
            2,
            "4",
            Map.of("ind", List.of("4"))),
        b.items().get(0));
    McTasks.Task c = McTasks.load("mmlu=mmlu:" + mmlu, 0, new Configuration());
    assertEquals(
        new McItem(
            "line-1",
            "What is 2+2, really?\nAnswer:",
            List.of(" 3", " 4", " 5, or \"five\"", " 6"),
            1),
        c.items().get(0));
    // name:path tells the format from each line, and a file: URI keeps its own colon.
    assertEquals(a, McTasks.load("cloze:" + mc, 0, new Configuration()));
    assertEquals(b.items(), McTasks.load("hs:file://" + hs, 0, new Configuration()).items());
    assertEquals(c.items(), McTasks.load("mmlu:" + mmlu, 0, new Configuration()).items());
  }

  @Test
  void itemsKnowTheirSourceDocumentAndTheTaskItsFilesHash() throws Exception {
    String text =
        "{\"id\":\"cloze-3-28\",\"doc\":\"validation-3\",\"context\":\"It was\","
            + "\"choices\":[\"red\",\"blue\"],\"answer\":1}\n"
            + "{\"id\":\"b\",\"context\":\"Then\",\"choices\":[\"x\",\"y\"],\"answer\":0}\n";
    Path mc = Files.writeString(dir.resolve("mc.jsonl"), text);
    McTasks.Task t = McTasks.load("cloze=mc:" + mc, 0, new Configuration());
    assertEquals("validation-3", t.items().get(0).cluster());
    // Every field besides the content is kept, in file order, for the audit's metadata rules.
    assertEquals(List.of("id", "doc"), List.copyOf(t.items().get(0).metadata().keySet()));
    assertEquals(List.of("validation-3"), t.items().get(0).metadata().get("doc"));
    assertEquals("b", t.items().get(1).cluster(), "without a doc, an item is its own cluster");
    assertEquals(Sha256.hex(text.getBytes(StandardCharsets.UTF_8)), t.sha256());
    Path hs =
        Files.writeString(
            dir.resolve("hs.jsonl"),
            "{\"ind\":4,\"source_id\":\"activitynet~v_x\",\"ctx\":\"A man\","
                + "\"endings\":[\"runs.\",\"sits.\"],\"label\":\"0\"}\n");
    assertEquals(
        "activitynet~v_x",
        McTasks.load("hs=hellaswag:" + hs, 0, new Configuration()).items().get(0).cluster());
  }

  @Test
  void hellaSwagIsPreparedAsLmEvaluationHarnessPreparesIt() throws Exception {
    // A line of HellaSwag's validation file (WikiHow part), and what lm-eval's
    // hellaswag/utils.py makes of it: query = preprocess(activity_label + ": " + ctx_a + " " +
    // ctx_b.capitalize()); choices = [preprocess(e) for e in endings], each scored after " ".
    Path hs =
        Files.writeString(
            dir.resolve("hellaswag.jsonl"),
            "{\"ind\": 24, \"activity_label\": \"Roof shingle removal\", \"ctx_a\": \"A man is"
                + " sitting on a roof.\", \"ctx_b\": \"HE starts pulling up roofing on a roof.\","
                + " \"ctx\": \"unused\", \"endings\": [\"is using wrap to wrap a pair of skis.\","
                + " \"[header] How to remove a roof [title] Start  at the top.\", \"is ripping level"
                + " tiles off.\", \"is holding a rubik's cube.\"], \"label\": \"2\"}\n");
    McItem item = McTasks.load("hs=hellaswag:" + hs, 0, new Configuration()).items().get(0);
    assertEquals(
        "Roof shingle removal: A man is sitting on a roof. He starts pulling up roofing on a roof.",
        item.context());
    assertEquals(
        List.of(
            " is using wrap to wrap a pair of skis.",
            // The bracket removal leaves a leading space that lm-eval keeps, after its own " ".
            "  How to remove a roof. Start at the top.",
            " is ripping level tiles off.",
            " is holding a rubik's cube."),
        item.choices());
    assertEquals(2, item.answer());
  }

  @Test
  void badTaskFilesAreTheUsersToFixAndNameTheFileAndLine() throws Exception {
    String good = "{\"context\":\"x\",\"choices\":[\"a\",\"b\"],\"answer\":1}";
    assertBad(
        "mc", good.replace(":1}", ":3}"), "line 1: answer 3 is not one of the 2 choices (0..1)");
    assertBad("mc", good.replace(":1}", ":-1}"), "line 1: answer -1 is not one of the 2 choices");
    assertBad("mc", good.replace(":1}", ":\"one\"}"), "line 1: answer \"one\" is not one of");
    assertBad("mc", good + "\n{\"context\": ", "line 2: not valid JSON (");
    assertBad("mc", good.replace("\"a\",", ""), "line 1: 1 choice(s); an item needs at least 2");
    assertBad(
        "hellaswag",
        good,
        "line 1: not a hellaswag item: no \"ctx\" (fields: context, choices, answer); it looks like"
            + " mc: declare the task as name=mc:path");
    assertBad("mmlu", good, "line 1: not an mmlu item: this line is JSON (it looks like mc)");
    assertBad(
        "mmlu",
        "q,a,b,c,d,E",
        "line 1: answer \"E\" is not one of the 4 choices (0..3, as letters A..D)");
    UserException missing =
        assertThrows(
            UserException.class,
            () -> McTasks.load("t=mc:" + dir.resolve("none"), 0, new Configuration()));
    assertTrue(missing.getMessage().startsWith("eval.tasks: "), missing.getMessage());
    UserException negative =
        assertThrows(
            UserException.class,
            () -> McTasks.load("t=mc:" + dir.resolve("none"), -1, new Configuration()));
    assertTrue(
        negative.getMessage().startsWith("eval.max-items: -1 is negative"), negative.getMessage());
  }

  private void assertBad(String format, String content, String message) throws Exception {
    Path file = Files.writeString(Files.createTempFile(dir, "bad", ".txt"), content + "\n");
    UserException e =
        assertThrows(
            UserException.class,
            () -> McTasks.load("t=" + format + ":" + file, 0, new Configuration()));
    assertEquals(
        file + " " + message,
        e.getMessage().substring(0, file.toString().length() + 1 + message.length()));
  }
}
