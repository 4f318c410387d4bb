package io.crossover.k8s;

import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The checks the Kubernetes API server and the Spark Operator apply to what a user types, done
 * before anything is written: a namespace is a DNS-1123 label, an image is a reference in Docker's
 * grammar, a schedule is a standard five-field cron expression (or a {@code @} descriptor) whose
 * fields lie in their ranges. Each failure is an {@link IllegalArgumentException} that names the
 * option, the value and the rule.
 */
public final class KubeSyntax {
  private KubeSyntax() {}

  private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

  // github.com/distribution/reference: [domain/]path[:tag][@digest].
  private static final String ALNUM = "[a-z0-9]+";
  private static final String SEPARATOR = "(?:[._]|__|[-]+)";
  private static final String PATH_COMPONENT = ALNUM + "(?:" + SEPARATOR + ALNUM + ")*";
  private static final String DOMAIN_COMPONENT =
      "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final String DOMAIN =
      "(?:"
          + DOMAIN_COMPONENT
          + "(?:\\."
          + DOMAIN_COMPONENT
          + ")*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?";
  private static final String TAG = "[\\w][\\w.-]{0,127}";
  private static final String DIGEST =
      "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
  private static final Pattern IMAGE =
      Pattern.compile(
          "(?:("
              + DOMAIN
              + ")/)?("
              + PATH_COMPONENT
              + "(?:/"
              + PATH_COMPONENT
              + ")*)(?::("
              + TAG
              + "))?(?:@("
              + DIGEST
              + "))?");

  /** A namespace (or any object name that must be a DNS-1123 label). */
  public static String label(String option, String value) {
    if (value.length() > 63 || !DNS1123_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          option
              + " \""
              + value
              + "\" is not a valid Kubernetes name (a DNS-1123 label): at most 63 lower-case"
              + " letters, digits and '-', starting and ending with a letter or digit");
    }
    return value;
  }

  /** An image reference such as {@code registry:5000/team/crossover:0.1.0}. */
  public static String image(String option, String value) {
    var m = IMAGE.matcher(value);
    if (value.length() > 255 || !m.matches()) {
      throw new IllegalArgumentException(
          option
              + " \""
              + value
              + "\" is not an image reference: [registry[:port]/]name[:tag][@sha256:digest], the"
              + " name in lower case, e.g. registry.example.com/crossover:0.1.0");
    }
    return value;
  }

  private static final String[] FIELD = {"minute", "hour", "day of month", "month", "day of week"};
  private static final int[] MIN = {0, 0, 1, 1, 0};
  private static final int[] MAX = {59, 23, 31, 12, 6};
  private static final String[] MONTHS = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"
  };
  private static final String[] DAYS = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

  /** A cron schedule as the Spark Operator parses it (robfig/cron's standard parser). */
  public static String cron(String option, String value) {
    String v = value.trim();
    if (v.startsWith("@")) {
      if (v.matches("@(yearly|annually|monthly|weekly|daily|midnight|hourly)")
          || v.matches("@every (\\d+(\\.\\d+)?(ns|us|µs|ms|s|m|h))+")) {
        return value;
      }
      throw bad(option, value, "unknown descriptor " + v.split(" ")[0]);
    }
    String[] fields = v.isEmpty() ? new String[0] : v.split("\\s+");
    if (fields.length != 5) {
      throw bad(
          option,
          value,
          fields.length + " fields; a schedule has 5 (minute hour day month weekday)");
    }
    for (int f = 0; f < 5; f++) {
      for (String part : fields[f].split(",", -1)) {
        field(option, value, f, part);
      }
    }
    return value;
  }

  private static void field(String option, String value, int f, String part) {
    String range = part;
    if (part.contains("/")) {
      String[] s = part.split("/", -1);
      if (s.length != 2 || !s[1].matches("[1-9][0-9]*")) {
        throw bad(
            option,
            value,
            FIELD[f] + " \"" + part + "\": the step after / must be a positive number");
      }
      range = s[0];
    }
    if (range.equals("*") || (range.equals("?") && (f == 2 || f == 4))) {
      return;
    }
    String[] ends = range.split("-", -1);
    if (ends.length > 2) {
      throw bad(option, value, FIELD[f] + " \"" + part + "\" is not a number, a range a-b or *");
    }
    int lo = number(option, value, f, ends[0], part);
    int hi = ends.length == 2 ? number(option, value, f, ends[1], part) : lo;
    if (hi < lo) {
      throw bad(option, value, FIELD[f] + " range \"" + range + "\" runs backwards");
    }
  }

  private static int number(String option, String value, int f, String token, String part) {
    String t = token.toUpperCase(Locale.ROOT);
    int n = -1;
    if (t.matches("[0-9]+")) {
      n = t.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(t);
    } else if (f == 3) {
      n = Arrays.asList(MONTHS).indexOf(t) + 1;
      n = n == 0 ? -1 : n;
    } else if (f == 4) {
      n = Arrays.asList(DAYS).indexOf(t);
    }
    if (n < 0 && !t.matches("[0-9]+")) {
      throw bad(option, value, FIELD[f] + " \"" + part + "\" is not a number, a range a-b or *");
    }
    if (n < MIN[f] || n > MAX[f]) {
      throw bad(option, value, FIELD[f] + " " + token + " is outside " + MIN[f] + ".." + MAX[f]);
    }
    return n;
  }

  private static IllegalArgumentException bad(String option, String value, String why) {
    return new IllegalArgumentException(
        option + " \"" + value + "\" is not a cron schedule: " + why + "; e.g. \"0 2 * * 6\"");
  }
}
