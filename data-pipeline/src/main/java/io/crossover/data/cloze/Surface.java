package io.crossover.data.cloze;

import java.util.regex.Pattern;

/**
 * What a text shows on its surface at its edges: whether a word ends a sentence, the case of a
 * text's first letter, and the class of the punctuation it ends with. The cloze builder matches
 * choices on these; the blind audit checks that nothing here picks the answer.
 */
public final class Surface {
  private Surface() {}

  /** Sentence-final punctuation, then any closing quotes or brackets. */
  private static final Pattern SENTENCE_END = Pattern.compile(".*[.!?][\"')\\]]*$");

  /** The word (or text) ends a sentence. */
  public static boolean endsSentence(String text) {
    return SENTENCE_END.matcher(text.strip()).matches();
  }

  /**
   * {@code U} (upper-case letter), {@code L} (lower-case letter) or {@code O}: the first letter.
   */
  public static char firstCase(String text) {
    String t = text.strip();
    if (t.isEmpty()) {
      return 'O';
    }
    int c = t.codePointAt(0);
    return Character.isUpperCase(c) ? 'U' : Character.isLowerCase(c) ? 'L' : 'O';
  }

  /**
   * How a text ends: {@code end} (a sentence), {@code comma} (, ; :), {@code other} punctuation
   * (quotes, brackets, dashes), or {@code none}.
   */
  public static String trailing(String text) {
    String t = text.strip();
    if (t.isEmpty()) {
      return "none";
    }
    if (endsSentence(t)) {
      return "end";
    }
    char last = t.charAt(t.length() - 1);
    if (last == ',' || last == ';' || last == ':') {
      return "comma";
    }
    return Character.isLetterOrDigit(last) ? "none" : "other";
  }
}
