package io.crossover.executor.model;

import io.crossover.data.config.ModelConfig;

/** Parameter and FLOP counts of a shape, computed without building the model. */
public final class ModelSize {
  private ModelSize() {}

  /** Trainable scalars, embeddings and head included. */
  public static long parameters(ModelConfig c, int vocabSize) {
    long d = c.dim();
    long perLayer = 2 * d + 2 * d * d + 2 * d * c.kvDim() + 2L * c.headDim() + 3 * d * c.ffnDim();
    long head = c.tieEmbeddings() ? 0 : d * vocabSize;
    return vocabSize * d + c.layers() * perLayer + d + head;
  }

  /** Parameters outside the embedding and the output head. */
  public static long nonEmbeddingParameters(ModelConfig c, int vocabSize) {
    long d = c.dim();
    return parameters(c, vocabSize) - vocabSize * d - (c.tieEmbeddings() ? 0 : d * vocabSize);
  }

  /**
   * Training FLOPs per token (forward + backward): 6 per weight the token passes through (every
   * parameter but the embedding lookup) plus the attention score and value products, 12 * layers *
   * dim * seqLen (as in the PaLM and nanoGPT estimates).
   */
  public static double trainingFlopsPerToken(ModelConfig c, int vocabSize, int seqLen) {
    long matmulParams =
        parameters(c, vocabSize) - (c.tieEmbeddings() ? 0 : (long) vocabSize * c.dim());
    return 6.0 * matmulParams + 12.0 * c.layers() * c.dim() * seqLen;
  }
}
