package io.crossover.data.config;

/**
 * The one rule for a memory size as the JVM, Spark and Kubernetes read it ({@code 4g}, {@code
 * 1024m}), shared by every option and key that takes one: digits, an optional unit, and more than
 * zero. A zero passes the syntax of all three but starts nothing: the JVM refuses a 0 heap, and a
 * pod asking for no memory is killed at its first allocation.
 */
public final class MemorySizes {
  private MemorySizes() {}

  /**
   * Why {@code value} is not a usable memory size, as the rest of a sentence about it (e.g. {@code
   * is not a JVM memory size}); null when it is one.
   */
  public static String problem(String value) {
    if (!value.matches("[0-9]+[kmgtKMGT]?")) {
      return "is not a JVM memory size";
    }
    if (value.replaceAll("[^0-9]", "").matches("0+")) {
      return "is zero; a memory size must be positive";
    }
    return null;
  }
}
