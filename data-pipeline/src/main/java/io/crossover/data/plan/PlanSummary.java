package io.crossover.data.plan;

/**
 * The numbers of a plan, as printed at start-up and saved as {@code plan.json}.
 *
 * @param uniqueTokens U
 * @param totalTokens T
 * @param seqLen L
 * @param globalBatch B
 * @param worldSize W
 * @param seed the run seed
 * @param epochs T/U
 * @param steps T/(B*L)
 * @param tokensPerStep B*L
 * @param sequencesPerRank B/W
 * @param uniqueSequences U/L
 * @param uniqueDocuments training documents the unique set is cut from
 * @param trainTokensAvailable tokens in the dataset's training split
 * @param tokenizer the dataset's tokenizer id
 * @param firstSequencesRank0 the unique sequence ids rank 0 reads at step 0 (a prefix)
 */
public record PlanSummary(
    long uniqueTokens,
    long totalTokens,
    int seqLen,
    int globalBatch,
    int worldSize,
    long seed,
    double epochs,
    long steps,
    long tokensPerStep,
    int sequencesPerRank,
    int uniqueSequences,
    int uniqueDocuments,
    long trainTokensAvailable,
    String tokenizer,
    int[] firstSequencesRank0) {}
