package io.crossover.data.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.shard.Manifest;
import io.crossover.data.tokenize.SpecialTokens;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Exact token accounting of the plan, over random budgets and corpora. */
class TokenPlanProperties {

  /** A random but valid plan: corpus, L, W, B = W*k, U = L*u, T = B*L*steps with T >= U. */
  record Case(int[] docLengths, PlanSpec spec) {}

  @Provide
  Arbitrary<Case> cases() {
    Arbitrary<int[]> docs =
        Arbitraries.integers().between(1, 300).array(int[].class).ofMinSize(1).ofMaxSize(60);
    return Combinators.combine(
            docs,
            Arbitraries.integers().between(2, 33),
            Arbitraries.integers().between(1, 4),
            Arbitraries.integers().between(1, 5),
            Arbitraries.integers().between(1, 1000),
            Arbitraries.integers().between(0, 40),
            Arbitraries.longs())
        .as(
            (lengths, seqLen, worldSize, perRank, uniquePick, extraSteps, seed) -> {
              long corpus = 0;
              for (int l : lengths) {
                corpus += l;
              }
              long maxUniqueSeqs = corpus / seqLen;
              if (maxUniqueSeqs == 0) {
                return null;
              }
              long uniqueSeqs = 1 + uniquePick % maxUniqueSeqs;
              int batch = worldSize * perRank;
              long perStep = (long) batch * seqLen;
              long unique = uniqueSeqs * seqLen;
              long minSteps = (unique + perStep - 1) / perStep;
              long total = (minSteps + extraSteps) * perStep;
              return new Case(lengths, new PlanSpec(unique, total, seqLen, batch, worldSize, seed));
            })
        .filter(c -> c != null);
  }

  static Manifest manifest(int[] docLengths) {
    long tokens = 0;
    for (int l : docLengths) {
      tokens += l;
    }
    Manifest.Split train =
        new Manifest.Split(
            "train",
            tokens,
            docLengths.length,
            List.of(),
            new Manifest.FileInfo("documents.arrow", docLengths.length, "x"));
    Manifest.Split val =
        new Manifest.Split(
            "validation", 0, 0, List.of(), new Manifest.FileInfo("documents.arrow", 0, "x"));
    return new Manifest(
        1, "byte", 259, new SpecialTokens(256, 257, 258, List.of()), 64, null, null, train, val);
  }

  @Property(tries = 300)
  void everyEpochIsAPermutationAndCountsAreFloorOrCeil(@ForAll("cases") Case c) {
    TokenPlan plan = TokenPlan.create(manifest(c.docLengths()), c.docLengths(), c.spec());
    int n = plan.uniqueSequences();
    long positions = c.spec().totalTokens() / c.spec().seqLen();
    int[] reads = new int[n];
    Set<Integer> epoch = new HashSet<>();
    for (long p = 0; p < positions; p++) {
      int seq = plan.sequenceAt(p);
      assertTrue(seq >= 0 && seq < n);
      reads[seq]++;
      assertTrue(epoch.add(seq), "sequence " + seq + " twice in one epoch");
      if ((p + 1) % n == 0) {
        assertEquals(n, epoch.size());
        epoch.clear();
      }
    }
    long floor = positions / n;
    for (int r : reads) {
      assertTrue(r == floor || r == floor + 1, "read " + r + " times, epochs " + plan.epochs());
    }
  }

  @Property(tries = 300)
  void ranksSplitEachStepWithoutOverlapAndTheTotalIsT(@ForAll("cases") Case c) {
    TokenPlan plan = TokenPlan.create(manifest(c.docLengths()), c.docLengths(), c.spec());
    long tokens = 0;
    int b = c.spec().globalBatch();
    for (long step = 0; step < plan.steps(); step++) {
      int[] union = new int[b];
      int at = 0;
      for (int rank = 0; rank < c.spec().worldSize(); rank++) {
        for (int seq : plan.sequences(step, rank)) {
          union[at++] = seq;
          tokens += c.spec().seqLen();
        }
      }
      int[] expected = new int[b];
      for (int i = 0; i < b; i++) {
        expected[i] = plan.sequenceAt(step * b + i);
      }
      // Rank r reads positions [sB + r*B/W, sB + (r+1)*B/W): together exactly the step's B
      // positions, each once; the permutation property makes those distinct sequences.
      assertArrayEquals(expected, union, "step " + step + " = the ranks' slices, in rank order");
    }
    assertEquals(c.spec().totalTokens(), tokens);
  }

  @Property(tries = 300)
  void theUniqueSetIsWholeShuffledDocumentsCutIntoSequences(@ForAll("cases") Case c) {
    TokenPlan plan = TokenPlan.create(manifest(c.docLengths()), c.docLengths(), c.spec());
    long[] docStart = new long[c.docLengths().length];
    for (int d = 1; d < docStart.length; d++) {
      docStart[d] = docStart[d - 1] + c.docLengths()[d - 1];
    }
    // Walk the unique stream: pieces must continue a document until it ends, then jump to the
    // start of a document not used before.
    Set<Long> usedDocs = new HashSet<>();
    long expectedNext = -1;
    long docEnd = -1;
    for (int seq = 0; seq < plan.uniqueSequences(); seq++) {
      long total = 0;
      for (TokenPlan.Piece piece : plan.pieces(seq)) {
        total += piece.length();
        if (piece.offset() != expectedNext || piece.offset() == docEnd) {
          assertEquals(expectedNext, docEnd, "a jump only at a document's end");
          int d = Arrays.binarySearch(docStart, piece.offset());
          assertTrue(d >= 0, "a new document starts at its first token");
          assertTrue(usedDocs.add(piece.offset()), "each document at most once");
          docEnd = piece.offset() + c.docLengths()[d];
        }
        expectedNext = piece.offset() + piece.length();
        assertTrue(expectedNext <= docEnd, "a piece stays inside its document");
      }
      assertEquals(c.spec().seqLen(), total);
    }
  }

  @Property(tries = 100)
  void aPlanIsAPureFunctionSoResumingFromACursorRepeatsNothing(@ForAll("cases") Case c) {
    TokenPlan first = TokenPlan.create(manifest(c.docLengths()), c.docLengths(), c.spec());
    TokenPlan resumed = TokenPlan.create(manifest(c.docLengths()), c.docLengths(), c.spec());
    long stop = first.steps() / 2;
    Cursor cursor = first.cursor(stop);
    assertEquals(cursor, resumed.cursor(cursor.epoch(), cursor.offset()));
    for (long step = stop; step < first.steps(); step++) {
      for (int rank = 0; rank < c.spec().worldSize(); rank++) {
        assertArrayEquals(first.sequences(step, rank), resumed.sequences(step, rank));
      }
    }
  }
}
