package io.crossover.executor.eval;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One multiple-choice item: a context and candidate continuations, one of them right.
 *
 * @param id the item's id in its file
 * @param context text before the choice
 * @param choices continuations, each scored after {@code context} (with the delimiter included)
 * @param answer index of the right choice
 * @param cluster the source document it was taken from (items of one document are not independent:
 *     intervals resample documents); the id when the file does not say
 * @param metadata every field of the item's line besides its context, choices and answer (its id
 *     and clustering key included), as text, in file order: what the blind audit checks for
 *     anything that predicts the answer
 */
public record McItem(
    String id,
    String context,
    List<String> choices,
    int answer,
    String cluster,
    Map<String, List<String>> metadata) {
  public McItem {
    choices = List.copyOf(choices);
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    if (answer < 0 || answer >= choices.size()) {
      throw new IllegalArgumentException(
          id + ": answer " + answer + " is not one of " + choices.size() + " choices");
    }
  }

  /** An item without metadata. */
  public McItem(String id, String context, List<String> choices, int answer, String cluster) {
    this(id, context, choices, answer, cluster, Map.of());
  }

  /** An item that is its own cluster. */
  public McItem(String id, String context, List<String> choices, int answer) {
    this(id, context, choices, answer, id);
  }

  /** An item as read from a line, before it is checked ({@code answerText} as written). */
  record Fields(
      String id,
      String context,
      List<String> choices,
      int answer,
      String answerText,
      String cluster) {}
}
