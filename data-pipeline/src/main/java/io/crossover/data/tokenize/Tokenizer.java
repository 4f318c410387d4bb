package io.crossover.data.tokenize;

/**
 * Text to token ids and back. Not thread-safe unless an implementation says so; each Spark task
 * opens its own from a {@link TokenizerSpec}.
 */
public interface Tokenizer extends AutoCloseable {

  /** Identifies the tokenizer in manifests: {@code byte} or {@code hf:<file name>@<sha256>}. */
  String id();

  /** Number of ids, special ids included: every id is in [0, vocabSize). */
  int vocabSize();

  /** The special ids the data pipeline and the objectives rely on. */
  SpecialTokens specials();

  /** Encodes a document without adding any special token. */
  int[] encode(String text);

  /** Decodes ids back to text (special ids are rendered by name). */
  String decode(int[] ids);

  @Override
  void close();
}
