package io.crossover.driver.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's findings are the shipped report's, word for word: each block between {@code <!--
 * findings: FILE -->} and {@code <!-- /findings -->} holds, one per line, "- " and the text of each
 * finding of FILE's report.json, in its order. Nobody edits them by hand; {@code crossover report}
 * writes them, and this test fails when the two drift apart.
 */
class ReadmeFindingsTest {
  static final Path HOME = Path.of("..").toAbsolutePath().normalize();
  static final Pattern BLOCK =
      Pattern.compile("<!-- findings: (\\S+) -->\\n(.*?)<!-- /findings -->", Pattern.DOTALL);

  @Test
  void theReadmeQuotesTheShippedFindingsVerbatim() throws Exception {
    String readme = Files.readString(HOME.resolve("README.md"));
    Matcher m = BLOCK.matcher(readme);
    int blocks = 0;
    while (m.find()) {
      blocks++;
      JsonNode report = Json.MAPPER.readTree(HOME.resolve(m.group(1)).toFile());
      List<String> expected = new ArrayList<>();
      for (JsonNode f : report.path("findings")) {
        expected.add("- " + f.path("text").asText());
      }
      assertFalse(expected.isEmpty(), m.group(1) + " has no findings");
      List<String> quoted = m.group(2).lines().filter(l -> !l.isBlank()).toList();
      assertEquals(expected, quoted, "README's findings for " + m.group(1));
    }
    assertEquals(1, blocks, "README quotes the findings of the shipped results once");
  }
}
