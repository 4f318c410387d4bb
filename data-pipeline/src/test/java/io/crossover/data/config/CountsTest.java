package io.crossover.data.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CountsTest {
  @ParameterizedTest
  @CsvSource({
    "4096, 4096",
    "64k, 64000",
    "1.5M, 1500000",
    "96B, 96000000000",
    "256Ki, 262144",
    "2Mi, 2097152",
    "1_000, 1000"
  })
  void parsesSuffixes(String text, long expected) {
    assertEquals(expected, Counts.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "1.5", "0.0003k", "12 tokens"})
  void rejectsWhatIsNotAWholeCount(String text) {
    assertThrows(NumberFormatException.class, () -> Counts.parse(text));
  }

  @ParameterizedTest
  @CsvSource({"262144, 256Ki", "2000000, 2M", "96000000000, 96B", "1000, 1k", "1234, 1234"})
  void formatsCompactly(long n, String expected) {
    assertEquals(expected, Counts.format(n));
  }

  @ParameterizedTest
  @CsvSource({
    "1094633, 1.04Mi",
    "1019904, 996Ki",
    "104857600, 100Mi",
    "1258291.2, 1.2Mi",
    "512, 512"
  })
  void approximatesToThreeFigures(double n, String expected) {
    assertEquals(expected, Counts.approx(n));
  }
}
