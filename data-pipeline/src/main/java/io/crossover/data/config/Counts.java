package io.crossover.data.config;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/**
 * Token and byte counts as people write them: {@code 96B}, {@code 1.5M}, {@code 64k} (powers of
 * ten) or {@code 256Ki}, {@code 4Mi}, {@code 1Gi} (powers of two). The value must be a whole number
 * once the suffix is applied.
 */
public final class Counts {
  private Counts() {}

  /** Parses a count; throws {@link NumberFormatException} with the reason. */
  public static long parse(String text) {
    String s = text.trim().replace("_", "");
    if (s.isEmpty()) {
      throw new NumberFormatException("empty");
    }
    long multiplier = 1;
    String digits = s;
    String[][] suffixes = {
      {"Ki", "1024"},
      {"Mi", "1048576"},
      {"Gi", "1073741824"},
      {"Ti", "1099511627776"},
      {"k", "1000"},
      {"K", "1000"},
      {"M", "1000000"},
      {"B", "1000000000"},
      {"G", "1000000000"},
      {"T", "1000000000000"}
    };
    for (String[] suffix : suffixes) {
      if (s.endsWith(suffix[0])) {
        multiplier = Long.parseLong(suffix[1]);
        digits = s.substring(0, s.length() - suffix[0].length());
        break;
      }
    }
    BigDecimal value;
    try {
      value = new BigDecimal(digits).multiply(BigDecimal.valueOf(multiplier));
    } catch (NumberFormatException e) {
      throw new NumberFormatException("not a number");
    }
    try {
      return value.longValueExact();
    } catch (ArithmeticException e) {
      throw new NumberFormatException("not a whole number: " + value.toPlainString());
    }
  }

  /** Formats a count compactly for humans ({@code 262144 -> 256Ki}, {@code 2000000 -> 2M}). */
  /** A count to three significant figures in binary units: "1.04Mi", "996Ki", "139Mi". */
  public static String approx(double n) {
    String[] bin = {"Ti", "Gi", "Mi", "Ki"};
    double[] binV = {Math.pow(2, 40), Math.pow(2, 30), Math.pow(2, 20), Math.pow(2, 10)};
    for (int i = 0; i < bin.length; i++) {
      if (Math.abs(n) >= binV[i]) {
        return new BigDecimal(n / binV[i])
                .round(new MathContext(3))
                .stripTrailingZeros()
                .toPlainString()
            + bin[i];
      }
    }
    return String.format(Locale.ROOT, "%.0f", n);
  }

  public static String format(long n) {
    if (n != 0) {
      String[] bin = {"Ti", "Gi", "Mi", "Ki"};
      long[] binV = {1L << 40, 1L << 30, 1L << 20, 1L << 10};
      String[] dec = {"T", "B", "M", "k"};
      long[] decV = {1_000_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L};
      for (int i = 0; i < dec.length; i++) {
        if (Math.abs(n) >= decV[i] && n % decV[i] == 0) {
          return n / decV[i] + dec[i];
        }
        if (Math.abs(n) >= binV[i] && n % binV[i] == 0) {
          return n / binV[i] + bin[i];
        }
      }
    }
    return Long.toString(n);
  }

  /** Formats with thousands separators, e.g. {@code 2,097,152}. */
  public static String grouped(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }
}
