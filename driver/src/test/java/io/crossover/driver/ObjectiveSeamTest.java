package io.crossover.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * instanceof, no comparison with an objective type, its family or its name, no objective names
 * spelled out as keys, no labels made from the type's enum name). A new objective then cannot
 * silently take another's path in export, generation, scoring, the benchmarks or the report.
 */
class ObjectiveSeamTest {
  static final Pattern ASKS =
      Pattern.compile(
          "instanceof\\s+(Autoregressive|MaskedDiffusion)"
              + "|Type\\.(AR|MDM)\\b"
              + "|objective\\(\\)\\.type\\(\\)"
              + "|\\.type\\(\\)\\.name\\(\\)"
              + "|\\.equals\\(\"(ar|mdm)\"\\)|\"(ar|mdm)\"\\.equals"
              // Families belong to the objective package (Arms pairs them).
              + "|\\.family\\(\\)|Family\\.(DIFFUSION|AUTOREGRESSIVE)"
              // Objective names as literals building keys or lists: "mdm" + suffix, List.of("ar".
              + "|\"(ar|mdm)\"\\s*\\+|\\+\\s*\"(ar|mdm)\""
              + "|\\(\"(ar|mdm)\"\\s*,\\s*\"(ar|mdm)\"\\)"
              // Architectures and loss kinds come from the objective and the run's records.
              + "|\"Qwen3For\\w+\""
              + "|AR:\\s*NLL|MDM:\\s*ELBO");

  /** The pattern catches each form it is meant to (so that the scan below can fail). */
  @Test
  void thePatternCatchesEveryFormOfAsking() {
    for (String line :
        List.of(
            "if (o instanceof MaskedDiffusion m) {",
            "if (any.objective().family() == Objective.Family.DIFFUSION) {",
            "families.add(o.family());",
            "f.get(\"mdm\" + suffix + \"_step_s\")",
            "List<String> names = List.of(\"ar\", \"mdm\");",
            "new Setting(objective.type().name(), objective)",
            "hf.put(\"architectures\", List.of(\"Qwen3ForCausalLM\"));",
            "\"val loss (AR: NLL, MDM: ELBO)\"",
            "if (type.equals(\"mdm\")) {")) {
      assertTrue(ASKS.matcher(line).find(), line);
    }
  }

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
