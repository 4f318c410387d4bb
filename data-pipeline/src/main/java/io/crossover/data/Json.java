package io.crossover.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.EnumFeature;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** The one JSON mapper: kebab-case keys (as in the HOCON config), pretty-printed. */
public final class Json {
  /** Shared and thread-safe once configured. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          // Enum values as the config writes them: "ar", "wsd", "jsonl".
          .configure(EnumFeature.WRITE_ENUMS_TO_LOWERCASE, true);

  private Json() {}

  /** Writes any record tree as pretty JSON. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** snake_case keys, one compact line: metrics.jsonl and evals.jsonl, read by plotting tools. */
  public static String snakeLine(Object value) {
    try {
      return SNAKE.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads one line written by {@link #snakeLine}. */
  public static <T> T fromSnakeLine(String line, Class<T> type) {
    try {
      return SNAKE.readValue(line, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e.getOriginalMessage(), e);
    }
  }

  private static final ObjectMapper SNAKE =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  /** snake_case keys, pretty-printed: machine-readable files people also open (report.json). */
  public static final ObjectMapper SNAKE_PRETTY =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT);

  /** Writes one compact line (for JSONL files and the last line of {@code --json} output). */
  public static String line(Object value) {
    try {
      return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every leaf of a JSON object as {@code dotted.key -> value} (strings as they are, other values
   * as JSON), in key order: how two configs are compared key by key.
   */
  public static SortedMap<String, String> flatten(String json) {
    SortedMap<String, String> out = new TreeMap<>();
    try {
      flatten("", MAPPER.readTree(json), out);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              e ->
                  flatten(
                      prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                      e.getValue(),
                      out));
    } else {
      out.put(prefix, node.isTextual() ? node.asText() : node.toString());
    }
  }
}
