package io.crossover.executor.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    assertEquals(new McItem("a", "It was", List.of(" red", " blue"), 1), a.items().get(0));
    McTasks.Task b = McTasks.load("hs=hellaswag:" + hs, 0, new Configuration());
    assertEquals(
        new McItem("4", "A man", List.of(" runs.", " sits.", " eats.", " flies."), 2),
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
  void badTaskFilesNameTheFileAndLine() throws Exception {
    Path bad =
        Files.writeString(
            dir.resolve("bad.jsonl"), "{\"context\":\"x\",\"choices\":[\"a\"],\"answer\":3}\n");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> McTasks.load("t=mc:" + bad, 0, new Configuration()));
    assertTrue(e.getMessage().startsWith(bad + " line 1: not a mc item"), e.getMessage());
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> McTasks.load("t=mc:" + dir.resolve("none"), 0, new Configuration()));
    assertTrue(missing.getMessage().startsWith("eval.tasks: "), missing.getMessage());
  }
}
