package io.crossover.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import io.crossover.data.config.TrainConfig.Attention;
import io.crossover.executor.model.Numerics;
import io.crossover.executor.precision.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench step} names the attention kernel each setting ran and profiles a step. */
class StepBenchCommandTest {
  @TempDir Path dir;

  @Test
  void autoAttentionIsResolvedPerPrecisionAndTheProfileAddsUp() throws Exception {
    Cli.Result r =
        Cli.run(
                "bench",
                "step",
                "--preset",
                "tiny",
                "--objective",
                "ar",
                "--seq-len",
                "16",
                "--batch",
                "2",
                "--steps",
                "1",
                "--rounds",
                "1",
                "--matmul",
                "64",
                "--trace-dir",
                dir.toString(),
                "--json")
            .expect(0, null);
    String[] lines = r.out().strip().split("\n");
    JsonNode f = Json.MAPPER.readTree(lines[lines.length - 1]);
    for (Precision p : Precision.values()) {
      String kernel =
          Numerics.kernel(Attention.AUTO, false, p, 16, true).name().toLowerCase(Locale.ROOT);
      String key = "ar_" + p.label();
      assertEquals(kernel, f.path(key + "_attention").asText(), r.out());
      assertTrue(r.out().contains(kernel + " (auto)"), r.out());
      assertTrue(f.path(key + "_profile_products_s").asDouble() > 0, r.out());
      assertTrue(f.path(key + "_profile_optimizer_s").asDouble() > 0, r.out());
      assertTrue(Files.size(dir.resolve(key + "-pass.json")) > 0);
      assertTrue(Files.size(dir.resolve(key + "-update.json")) > 0);
    }
    assertTrue(r.out().contains("matrix products (mm, bmm)"), r.out());
  }
}
