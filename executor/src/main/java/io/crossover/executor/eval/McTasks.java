package io.crossover.executor.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Multiple-choice task files, on any Hadoop filesystem, given as {@code name=format:path} or {@code
 * name:path}:
 *
 * <ul>
 *   <li>{@code mc}: JSONL {@code {"id", "context", "choices": [...], "answer": i}}; a choice is
 *       scored after the context and one space;
 *   <li>{@code hellaswag}: HellaSwag's JSONL ({@code ctx}, {@code endings}, {@code label});
 *   <li>{@code mmlu}: MMLU's CSV rows {@code question,A,B,C,D,letter}; a choice is scored after
 *       {@code "<question>\nAnswer:"}.
 * </ul>
 */
public final class McTasks {
  private McTasks() {}

  /**
   * A task to evaluate.
   *
   * @param name how results are labelled
   * @param items the items, in file order
   */
  public record Task(String name, List<McItem> items) {}

  /**
   * Parses {@code name=format:path} (or {@code name:path}, the format told by each line: CSV is
   * mmlu, JSON with {@code endings} hellaswag, other JSON mc) and reads the file; {@code maxItems}
   * 0 reads all.
   */
  public static Task load(String spec, int maxItems, Configuration conf) {
    int eq = spec.indexOf('=');
    int firstColon = spec.indexOf(':');
    boolean named = eq > 0 && (firstColon < 0 || eq < firstColon);
    int colon = named ? spec.indexOf(':', eq + 1) : firstColon;
    if (colon <= 0 || colon == spec.length() - 1) {
      throw new IllegalArgumentException(
          "eval.tasks: \""
              + spec
              + "\" is not name=format:path or name:path (format: mc, hellaswag or mmlu)");
    }
    String name = spec.substring(0, named ? eq : colon);
    String format = named ? spec.substring(eq + 1, colon) : "auto";
    Path path = new Path(spec.substring(colon + 1));
    List<McItem> items = new ArrayList<>();
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(path.getFileSystem(conf).open(path), StandardCharsets.UTF_8))) {
      int lineNo = 0;
      for (String line;
          (line = in.readLine()) != null && (maxItems == 0 || items.size() < maxItems); ) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        try {
          String lineFormat = format.equals("auto") ? detect(line) : format;
          items.add(
              switch (lineFormat) {
                case "mc" -> generic(Json.MAPPER.readTree(line), lineNo);
                case "hellaswag" -> hellaswag(Json.MAPPER.readTree(line), lineNo);
                case "mmlu" -> mmlu(line, lineNo);
                default ->
                    throw new IllegalArgumentException(
                        "eval.tasks: format \""
                            + format
                            + "\" of "
                            + name
                            + " is not mc, hellaswag or mmlu");
              });
        } catch (IOException | RuntimeException e) {
          if (e instanceof IllegalArgumentException iae
              && iae.getMessage().startsWith("eval.tasks")) {
            throw iae;
          }
          throw new IllegalArgumentException(
              path + " line " + lineNo + ": not a " + format + " item (" + e.getMessage() + ")", e);
        }
      }
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException(
          "eval.tasks: " + path + " (task " + name + ") does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
    if (items.isEmpty()) {
      throw new IllegalArgumentException(
          "eval.tasks: " + path + " (task " + name + ") has no items");
    }
    return new Task(name, items);
  }

  private static String detect(String line) {
    String t = line.stripLeading();
    if (!t.startsWith("{")) {
      return "mmlu";
    }
    return t.contains("\"endings\"") ? "hellaswag" : "mc";
  }

  private static McItem generic(JsonNode n, int lineNo) {
    List<String> choices = new ArrayList<>();
    n.path("choices").forEach(c -> choices.add(" " + c.asText()));
    return new McItem(
        n.path("id").asText("line-" + lineNo),
        n.path("context").asText(),
        choices,
        n.path("answer").asInt(-1));
  }

  private static McItem hellaswag(JsonNode n, int lineNo) {
    List<String> choices = new ArrayList<>();
    n.path("endings").forEach(c -> choices.add(" " + c.asText()));
    String id = n.has("ind") ? n.path("ind").asText() : "line-" + lineNo;
    return new McItem(id, n.path("ctx").asText(), choices, n.path("label").asInt(-1));
  }

  private static McItem mmlu(String line, int lineNo) {
    List<String> fields = csv(line);
    if (fields.size() != 6) {
      throw new IllegalArgumentException(
          fields.size() + " fields, expected question,A,B,C,D,answer");
    }
    String letter = fields.get(5).trim();
    int answer = letter.length() == 1 ? letter.charAt(0) - 'A' : -1;
    List<String> choices = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      choices.add(" " + fields.get(i));
    }
    return new McItem("line-" + lineNo, fields.get(0) + "\nAnswer:", choices, answer);
  }

  /** One CSV record (RFC 4180 quoting, no embedded newlines). */
  static List<String> csv(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    out.add(field.toString());
    return out;
  }
}
