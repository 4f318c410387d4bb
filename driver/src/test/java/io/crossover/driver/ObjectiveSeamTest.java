package io.crossover.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One seam for the objective: nothing outside the objective package asks which objective it has (no
 * instanceof, no comparison with an objective type or its name). A new objective then cannot
 * silently take another's path in export, generation, scoring or the report.
 */
class ObjectiveSeamTest {
  static final Pattern ASKS =
      Pattern.compile(
          "instanceof\\s+(Autoregressive|MaskedDiffusion)"
              + "|Type\\.(AR|MDM)\\b"
              + "|objective\\(\\)\\.type\\(\\)"
              + "|\\.equals\\(\"(ar|mdm)\"\\)|\"(ar|mdm)\"\\.equals"
              + "|family\\(\\)\\s*==\\s*\\w+\\.Family\\.DIFFUSION\\s*\\?");

  @Test
  void noCodeOutsideTheObjectivePackageAsksWhichObjectiveItHas() throws IOException {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<String> found = new ArrayList<>();
    for (String module : List.of("data-pipeline", "executor", "driver", "k8s")) {
      Path src = root.resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(src)) {
        for (Path f :
            (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
          if (f.toString().contains("/objective/") || f.endsWith("ObjectiveConfig.java")) {
            continue;
          }
          List<String> lines = Files.readAllLines(f);
          for (int i = 0; i < lines.size(); i++) {
            if (ASKS.matcher(lines.get(i)).find()) {
              found.add(root.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).trim());
            }
          }
        }
      }
    }
    assertEquals(List.of(), found, "objective-type tests outside objective/");
  }
}
