package io.crossover.data.tokenize;

import java.io.Serializable;
import java.util.List;

/**
 * The special ids every tokenizer provides.
 *
 * @param eod end of document: follows every document in a shard
 * @param mask the absorbing state of masked diffusion
 * @param pad fills positions that carry no token (never trained on)
 * @param addedByCrossover names of the specials that were not in the tokenizer's own vocabulary and
 *     were appended to it
 */
public record SpecialTokens(int eod, int mask, int pad, List<String> addedByCrossover)
    implements Serializable {

  public SpecialTokens {
    addedByCrossover = List.copyOf(addedByCrossover);
  }
}
