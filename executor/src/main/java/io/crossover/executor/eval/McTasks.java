package io.crossover.executor.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.Sha256;
import io.crossover.data.UserException;
import io.crossover.data.cloze.BlindAudit;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Multiple-choice task files, on any Hadoop filesystem, given as {@code name=format:path} or {@code
 * name:path}:
 *
 * <ul>
 *   <li>{@code mc}: JSONL {@code {"id", "context", "choices": [...], "answer": i}} (and {@code
 *       "doc"}, the context's source document, where known: items are clustered by it); a choice is
 *       scored after the context and one space. Any other field is kept as the item's metadata,
 *       which the blind audit checks for anything that predicts the answer;
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
   * @param sha256 the SHA-256 of the file they were read from (empty when not read from a file):
   *     recorded with every result, so that results are only ever paired on the same file
   */
  public record Task(String name, List<McItem> items, String sha256) {
    public Task {
      items = List.copyOf(items);
    }

    /** A task not read from a file. */
    public Task(String name, List<McItem> items) {
      this(name, items, "");
    }
  }

  /**
   * Parses {@code name=format:path} (or {@code name:path}, the format told by each line: CSV is
   * mmlu, JSON with {@code endings} hellaswag, other JSON mc) and reads the file; {@code maxItems}
   * 0 reads all.
   */
  public static Task load(String spec, int maxItems, Configuration conf) {
    if (maxItems < 0) {
      throw new UserException(
          "eval.max-items: "
              + maxItems
              + " is negative; give 0 for every item or a positive count");
    }
    int eq = spec.indexOf('=');
    int firstColon = spec.indexOf(':');
    boolean named = eq > 0 && (firstColon < 0 || eq < firstColon);
    int colon = named ? spec.indexOf(':', eq + 1) : firstColon;
    if (colon <= 0 || colon == spec.length() - 1) {
      throw new UserException(
          "eval.tasks: \""
              + spec
              + "\" is not name=format:path or name:path (format: mc, hellaswag or mmlu)");
    }
    String name = spec.substring(0, named ? eq : colon);
    String format = named ? spec.substring(eq + 1, colon) : "auto";
    if (!List.of("auto", "mc", "hellaswag", "mmlu").contains(format)) {
      throw new UserException(
          "eval.tasks: format \"" + format + "\" of " + name + " is not mc, hellaswag or mmlu");
    }
    Path path = new Path(spec.substring(colon + 1));
    List<McItem> items = new ArrayList<>();
    String sha256;
    try {
      byte[] bytes;
      try (var in = path.getFileSystem(conf).open(path)) {
        bytes = in.readAllBytes();
      }
      sha256 = Sha256.hex(bytes);
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8));
      int lineNo = 0;
      Map<String, Integer> seen = new HashMap<>();
      for (String line;
          (line = in.readLine()) != null && (maxItems == 0 || items.size() < maxItems); ) {
        lineNo++;
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          // A byte-order mark, as some editors write: text tools skip it, so does this.
          line = line.substring(1);
        }
        if (!line.isBlank()) {
          McItem item = item(line, format, path + " line " + lineNo, lineNo);
          Integer first = seen.putIfAbsent(item.id(), lineNo);
          if (first != null) {
            throw new UserException(
                path
                    + " line "
                    + lineNo
                    + ": item id \""
                    + item.id()
                    + "\" is also the id of line "
                    + first
                    + "; ids must be unique (results are paired by them)");
          }
          items.add(item);
        }
      }
    } catch (FileNotFoundException e) {
      throw new UserException("eval.tasks: " + path + " (task " + name + ") does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
    if (items.isEmpty()) {
      throw new UserException(
          "eval.tasks: " + path + " (task " + name + ") has no items (only blank lines)");
    }
    return new Task(name, items, sha256);
  }

  /** One line as an item of {@code format} ({@code auto}: told by the line itself). */
  private static McItem item(String line, String format, String where, int lineNo) {
    String detected = detect(line);
    String lineFormat = format.equals("auto") ? detected : format;
    JsonNode json = null;
    if (!lineFormat.equals("mmlu")) {
      try {
        json = Json.MAPPER.readTree(line);
      } catch (IOException e) {
        throw new UserException(
            where
                + ": not valid JSON ("
                + e.getMessage().lines().findFirst().orElse("")
                + "); a "
                + lineFormat
                + " file has one JSON object per line");
      }
      if (json == null || !json.isObject()) {
        throw new UserException(where + ": not a JSON object; a " + lineFormat + " item is one");
      }
    }
    List<String> needed =
        switch (lineFormat) {
          case "mc" -> List.of("context", "choices", "answer");
          case "hellaswag" -> List.of("ctx", "endings", "label");
          default -> List.of();
        };
    for (String field : needed) {
      if (!json.has(field)) {
        List<String> fields = new ArrayList<>();
        json.fieldNames().forEachRemaining(fields::add);
        throw new UserException(
            where
                + ": not a "
                + lineFormat
                + " item: no \""
                + field
                + "\" (fields: "
                + String.join(", ", fields)
                + ")"
                + (detected.equals(lineFormat)
                    ? ""
                    : "; it looks like "
                        + detected
                        + ": declare the task as name="
                        + detected
                        + ":path"));
      }
    }
    McItem.Fields f =
        switch (lineFormat) {
          case "mc" -> generic(json, lineNo);
          case "hellaswag" -> hellaswag(json, lineNo);
          default -> mmlu(line, lineNo, where, detected);
        };
    if (f.choices().size() < 2) {
      throw new UserException(
          where + ": " + f.choices().size() + " choice(s); an item needs at least 2");
    }
    for (int a = 0; a < f.choices().size(); a++) {
      for (int b = a + 1; b < f.choices().size(); b++) {
        if (f.choices().get(a).equals(f.choices().get(b))) {
          throw new UserException(
              where
                  + ": choices "
                  + a
                  + " and "
                  + b
                  + " are the same text ("
                  + f.choices().get(a).strip()
                  + "); an item's choices must differ");
        }
      }
    }
    if (f.answer() < 0 || f.answer() >= f.choices().size()) {
      throw new UserException(
          where
              + ": answer "
              + f.answerText()
              + " is not one of the "
              + f.choices().size()
              + " choices (0.."
              + (f.choices().size() - 1)
              + (lineFormat.equals("mmlu") ? ", as letters A..D" : "")
              + ")");
    }
    return new McItem(
        f.id(),
        f.context(),
        f.choices(),
        f.answer(),
        f.cluster(),
        json == null ? Map.of() : BlindAudit.Item.metadata(json, CONTENT.get(lineFormat)));
  }

  /** The fields each JSON format builds its context, choices and answer from. */
  private static final Map<String, List<String>> CONTENT =
      Map.of(
          "mc",
          List.of("context", "choices", "answer"),
          "hellaswag",
          List.of("ctx", "ctx_a", "ctx_b", "activity_label", "endings", "label"));

  private static String detect(String line) {
    String t = line.stripLeading();
    if (!t.startsWith("{")) {
      return "mmlu";
    }
    return t.contains("\"endings\"") ? "hellaswag" : "mc";
  }

  private static McItem.Fields generic(JsonNode n, int lineNo) {
    List<String> choices = new ArrayList<>();
    n.path("choices").forEach(c -> choices.add(" " + c.asText()));
    JsonNode answer = n.path("answer");
    String id = n.path("id").asText("line-" + lineNo);
    return new McItem.Fields(
        id,
        n.path("context").asText(),
        choices,
        answer.canConvertToInt() ? answer.asInt() : -1,
        answer.toString(),
        n.hasNonNull("doc") ? n.path("doc").asText() : id);
  }

  /**
   * HellaSwag as lm-evaluation-harness prepares it: the query is {@code activity_label: ctx_a
   * Ctx_b} (ctx_b capitalised as Python's str.capitalize does), the query and each ending cleaned
   * of WikiHow's bracketed artefacts. Lines without {@code ctx_a} use {@code ctx} as it is.
   */
  private static McItem.Fields hellaswag(JsonNode n, int lineNo) {
    List<String> choices = new ArrayList<>();
    n.path("endings").forEach(c -> choices.add(" " + hellaswagClean(c.asText())));
    String id = n.has("ind") ? n.path("ind").asText() : "line-" + lineNo;
    JsonNode label = n.path("label");
    int answer = label.asInt(-1);
    if (label.isTextual() && !label.asText().trim().matches("-?[0-9]+")) {
      answer = -1;
    }
    String ctx =
        n.has("ctx_a")
            ? n.path("ctx_a").asText() + " " + capitalize(n.path("ctx_b").asText())
            : n.path("ctx").asText();
    String query = n.has("activity_label") ? n.path("activity_label").asText() + ": " + ctx : ctx;
    // HellaSwag's items of one source video or WikiHow article share its source_id.
    String cluster = n.hasNonNull("source_id") ? n.path("source_id").asText() : id;
    return new McItem.Fields(id, hellaswagClean(query), choices, answer, label.toString(), cluster);
  }

  /** lm-evaluation-harness's HellaSwag preprocess. */
  static String hellaswagClean(String text) {
    String t = text.strip().replace(" [title]", ". ");
    t = t.replaceAll("\\[.*?\\]", "");
    return t.replace("  ", " ");
  }

  /** Python's str.capitalize: the first character upper case, the rest lower case. */
  static String capitalize(String s) {
    if (s.isEmpty()) {
      return s;
    }
    int first = s.offsetByCodePoints(0, 1);
    return s.substring(0, first).toUpperCase(Locale.ROOT)
        + s.substring(first).toLowerCase(Locale.ROOT);
  }

  private static McItem.Fields mmlu(String line, int lineNo, String where, String detected) {
    if (!detected.equals("mmlu")) {
      throw new UserException(
          where
              + ": not an mmlu item: this line is JSON (it looks like "
              + detected
              + "); declare the task as name="
              + detected
              + ":path");
    }
    List<String> fields = csv(line);
    if (fields.size() != 6) {
      throw new UserException(
          where
              + ": not an mmlu item: "
              + fields.size()
              + " fields, expected question,A,B,C,D,answer");
    }
    String letter = fields.get(5).trim();
    int answer = letter.length() == 1 ? letter.charAt(0) - 'A' : -1;
    List<String> choices = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      choices.add(" " + fields.get(i));
    }
    return new McItem.Fields(
        "line-" + lineNo,
        fields.get(0) + "\nAnswer:",
        choices,
        answer,
        "\"" + letter + "\"",
        "line-" + lineNo);
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
