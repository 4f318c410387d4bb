package io.crossover.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KubeSyntaxTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "crossover",
        "crossover:0.1.0",
        "team/crossover:latest",
        "registry.example.com/team/crossover:0.1.0",
        "localhost:5000/crossover",
        "registry-1.docker.io/apache/spark:4.1.3-scala2.13-java17-ubuntu",
        "crossover@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "my_org/cross__over-x.y:v1"
      })
  void imageReferencesKubernetesAcceptsAreAccepted(String image) {
    assertEquals(image, KubeSyntax.image("--image", image));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "Crossover", "a:b:c", "team//x", "-x", "x-", "x:", "x@sha256:12", "x y"})
  void otherImagesAreRefused(String image) {
    assertThrows(IllegalArgumentException.class, () -> KubeSyntax.image("--image", image));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0 2 * * 6",
        "*/15 0-6 1,15 * *",
        "0 0 1 JAN-MAR MON-FRI",
        "30 1 ? * SUN",
        "59 23 31 12 6",
        "@daily",
        "@every 1h30m"
      })
  void cronSchedulesTheOperatorParsesAreAccepted(String cron) {
    assertEquals(cron, KubeSyntax.cron("--schedule", cron));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "* * * *",
        "* * * * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 32 * *",
        "* * * 0 *",
        "* * * * 7",
        "5-1 * * * *",
        "*/0 * * * *",
        "a * * * *",
        "@sometimes",
        "? * * * *"
      })
  void otherSchedulesAreRefused(String cron) {
    assertThrows(IllegalArgumentException.class, () -> KubeSyntax.cron("--schedule", cron));
  }

  @ParameterizedTest
  @ValueSource(strings = {"crossover", "team-a", "a", "x1"})
  void dns1123LabelsAreAccepted(String name) {
    assertEquals(name, KubeSyntax.label("--namespace", name));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Team", "team_a", "-a", "a-", "a.b"})
  void otherNamesAreRefused(String name) {
    assertThrows(IllegalArgumentException.class, () -> KubeSyntax.label("--namespace", name));
  }
}
