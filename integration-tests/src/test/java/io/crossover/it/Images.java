package io.crossover.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Crossover's container images, built on this machine by {@code k8s/images/build.sh} from Debian
 * packages and Maven Central (no registry): a base image, Spark, HDFS and the application. The
 * script tags each image by a hash of its inputs, so after the first build this finds them in
 * seconds. Its progress goes to the test output and to {@code target/images-build.log}.
 */
record Images(String spark, String hdfs, String crossover) {
  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static Images built;

  static synchronized Images build() throws IOException, InterruptedException {
    if (built != null) {
      return built;
    }
    Path tags = Path.of("target/images.properties").toAbsolutePath();
    Path log = Path.of("target/images-build.log").toAbsolutePath();
    Files.deleteIfExists(tags);
    Process p =
        new ProcessBuilder(
                List.of(
                    ROOT.resolve("k8s/images/build.sh").toString(), "--tags-file", tags.toString()))
            .redirectErrorStream(true)
            .start();
    try (BufferedReader out =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter file = new PrintWriter(Files.newBufferedWriter(log))) {
      for (String line; (line = out.readLine()) != null; ) {
        System.out.println(line);
        file.println(line);
      }
    }
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "k8s/images/build.sh failed; its output is in " + log + ":\n" + Files.readString(log));
    }
    Map<String, String> tag = new HashMap<>();
    for (String line : Files.readAllLines(tags)) {
      int eq = line.indexOf('=');
      tag.put(line.substring(0, eq), line.substring(eq + 1));
    }
    built = new Images(tag.get("crossover-spark"), tag.get("crossover-hdfs"), tag.get("crossover"));
    return built;
  }
}
