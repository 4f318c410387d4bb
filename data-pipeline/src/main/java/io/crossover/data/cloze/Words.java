package io.crossover.data.cloze;

import io.crossover.data.shard.Dataset;
import io.crossover.data.shard.IntColumnFile;
import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/** A split's documents decoded back into words (whitespace-separated), in stream order. */
public final class Words {
  private Words() {}

  /**
   * Each document of {@code split} as its words; with {@code maxTokens} > 0, only the documents
   * that start within its first {@code maxTokens} tokens (a training split can be far larger than a
   * word count needs).
   */
  public static List<String[]> of(
      Dataset dataset, Manifest.Split split, Tokenizer tokenizer, long maxTokens) {
    List<String[]> out = new ArrayList<>();
    try (BufferAllocator allocator = new RootAllocator()) {
      int[] lengths = dataset.documentLengths(split, allocator);
      int doc = 0;
      int at = 0;
      long read = 0;
      int[] current = lengths.length == 0 ? new int[0] : new int[lengths[0]];
      for (int shard = 0; shard < split.shards().size(); shard++) {
        if (maxTokens > 0 && read >= maxTokens && at == 0) {
          break;
        }
        int[] tokens;
        try (IntColumnFile f = dataset.openShard(split, shard, true, allocator)) {
          tokens = f.readAll();
        }
        for (int t : tokens) {
          current[at++] = t;
          read++;
          if (at == current.length) {
            // The last token of a document is its EOD.
            out.add(split(tokenizer.decode(Arrays.copyOf(current, current.length - 1))));
            doc++;
            at = 0;
            current = doc < lengths.length ? new int[lengths[doc]] : new int[0];
            if (maxTokens > 0 && read >= maxTokens) {
              return out;
            }
          }
        }
      }
    }
    return out;
  }

  /** A text's words: maximal runs of non-whitespace. */
  public static String[] split(String text) {
    String t = text.trim();
    return t.isEmpty() ? new String[0] : t.split("\\s+");
  }
}
