package io.crossover.driver.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** k8s/examples are what {@code crossover k8s render} writes today (they cannot go stale). */
class K8sRenderTest {
  static final Path EXAMPLES = Path.of("..", "k8s", "examples");
  @TempDir Path tmp;

  void assertSameFiles(Path expected, Path actual) throws Exception {
    try (var files = Files.list(expected)) {
      List<Path> all = files.sorted().toList();
      for (Path f : all) {
        assertEquals(
            Files.readString(f),
            Files.readString(actual.resolve(f.getFileName())),
            f + " is stale: re-render it (see k8s/README.md)");
      }
      try (var written = Files.list(actual)) {
        assertEquals(all.size(), written.count());
      }
    }
  }

  @Test
  void theShippedExamplesAreUpToDate() throws Exception {
    String image = "registry.example.com/crossover:0.1.0";
    assertEquals(
        0,
        CrossoverCommand.execute(
            "k8s",
            "render",
            "--image",
            image,
            "--gpu",
            "--set",
            "cluster.world-size=4",
            "--set",
            "train.threads=8",
            "--set",
            "cluster.executor-memory=32g",
            "--set",
            "run.name=mdm-u1b",
            "--out",
            tmp.resolve("train").toString()));
    assertSameFiles(EXAMPLES.resolve("train-gpu"), tmp.resolve("train"));
    assertEquals(
        0,
        CrossoverCommand.execute(
            "k8s",
            "render",
            "--image",
            image,
            "--sweep",
            "toy",
            "--out",
            tmp.resolve("sweep").toString()));
    assertSameFiles(EXAMPLES.resolve("sweep-toy"), tmp.resolve("sweep"));
  }

  @Test
  void theDefaultSparkVersionIsTheOneCrossoverIsBuiltWith() throws Exception {
    String declared =
        K8sCommand.Render.class
            .getDeclaredField("sparkVersion")
            .getAnnotation(CommandLine.Option.class)
            .defaultValue();
    assertEquals(org.apache.spark.package$.MODULE$.SPARK_VERSION(), declared);
  }

  @Test
  void aSchedulerWithoutGangSchedulingIsRefused() {
    assertEquals(
        CrossoverCommand.EXIT_USAGE,
        CrossoverCommand.execute(
            "k8s",
            "render",
            "--image",
            "x",
            "--scheduler",
            "default",
            "--out",
            tmp.resolve("x").toString()));
  }
}
