package io.crossover.data.plan;

import io.crossover.data.shard.Manifest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The exact schedule of a fixed-budget run: a pure function of (manifest, document lengths, U, T,
 * L, B, W, seed).
 *
 * <ul>
 *   <li>The training documents are shuffled (seeded, whole documents) and concatenated; the first
 *       U/L sequences of L tokens of that stream are the unique set.
 *   <li>Epochs = T/U; the last one may be partial. Epoch e reads the unique set in the order of a
 *       permutation seeded by (seed, e), so each epoch sees each unique sequence exactly once.
 *   <li>Step s reads the next B sequences; rank r takes its contiguous B/W of them.
 * </ul>
 *
 * Thread-safe.
 */
public final class TokenPlan {
  private final PlanSpec spec;
  private final Manifest manifest;
  private final int uniqueSequences;
  private final long steps;

  /** Unique stream: document j of it starts at streamStart[j] and lives at trainOffset[j]. */
  private final long[] streamStart;

  private final long[] trainOffset;
  private final int[] uniqueDocLength;

  private long cachedEpoch = -1;
  private int[] cachedPermutation;

  private TokenPlan(PlanSpec spec, Manifest manifest, int[] docLengths) {
    this.spec = spec;
    this.manifest = manifest;
    validate(spec, manifest);
    this.uniqueSequences = Math.toIntExact(spec.uniqueTokens() / spec.seqLen());
    this.steps = spec.totalTokens() / ((long) spec.globalBatch() * spec.seqLen());

    long[] docStart = new long[docLengths.length];
    for (int d = 1; d < docLengths.length; d++) {
      docStart[d] = docStart[d - 1] + docLengths[d - 1];
    }
    int[] order = permutation(docLengths.length, new SplittableRandom(mix(spec.seed(), -1)));
    List<long[]> picked = new ArrayList<>();
    long covered = 0;
    for (int j = 0; j < order.length && covered < spec.uniqueTokens(); j++) {
      picked.add(new long[] {covered, docStart[order[j]], docLengths[order[j]]});
      covered += docLengths[order[j]];
    }
    streamStart = new long[picked.size()];
    trainOffset = new long[picked.size()];
    uniqueDocLength = new int[picked.size()];
    for (int j = 0; j < picked.size(); j++) {
      streamStart[j] = picked.get(j)[0];
      trainOffset[j] = picked.get(j)[1];
      uniqueDocLength[j] = (int) picked.get(j)[2];
    }
  }

  /** Plans a run; throws {@link PlanException} naming the key when the budget does not fit. */
  public static TokenPlan create(Manifest manifest, int[] trainDocLengths, PlanSpec spec) {
    return new TokenPlan(spec, manifest, trainDocLengths);
  }

  /**
   * Checks what can be checked without the dataset (divisibility, U <= T); throws {@link
   * PlanException} naming the key and the nearest valid values.
   */
  public static void check(PlanSpec spec) {
    validate(spec, null);
  }

  private static void validate(PlanSpec s, Manifest m) {
    long l = s.seqLen();
    long available = m == null ? Long.MAX_VALUE / l * l : m.train().tokens() / l * l;
    if (s.uniqueTokens() % l != 0) {
      throw new PlanException(
          "budget.unique-tokens",
          s.uniqueTokens()
              + " is not a multiple of budget.seq-len="
              + l
              + "; nearest valid: "
              + nearest(s.uniqueTokens(), l, l, available));
    }
    if (m != null && s.uniqueTokens() > available) {
      throw new PlanException(
          "budget.unique-tokens",
          s.uniqueTokens()
              + " is more than the training split holds in whole sequences: at most "
              + available
              + " ("
              + m.train().tokens()
              + " training tokens, seq-len "
              + l
              + ")");
    }
    if (s.uniqueTokens() / l > Integer.MAX_VALUE) {
      throw new PlanException(
          "budget.unique-tokens", s.uniqueTokens() + " makes more than 2^31 sequences");
    }
    if (s.globalBatch() % s.worldSize() != 0) {
      throw new PlanException(
          "budget.global-batch",
          s.globalBatch()
              + " is not divisible by cluster.world-size="
              + s.worldSize()
              + "; nearest valid: "
              + nearest(s.globalBatch(), s.worldSize(), s.worldSize(), Long.MAX_VALUE));
    }
    long perStep = (long) s.globalBatch() * l;
    if (s.totalTokens() % perStep != 0) {
      throw new PlanException(
          "budget.total-tokens",
          s.totalTokens()
              + " is not a multiple of the "
              + perStep
              + " tokens per step (budget.global-batch="
              + s.globalBatch()
              + " x budget.seq-len="
              + l
              + "); nearest valid: "
              + nearest(s.totalTokens(), perStep, perStep, Long.MAX_VALUE));
    }
    if (s.totalTokens() < s.uniqueTokens()) {
      long min = (s.uniqueTokens() + perStep - 1) / perStep * perStep;
      throw new PlanException(
          "budget.total-tokens",
          s.totalTokens()
              + " is less than budget.unique-tokens="
              + s.uniqueTokens()
              + ": the unique set would not be seen once; the smallest valid value is "
              + min);
    }
  }

  /** The multiples of {@code step} around {@code value}, within [min, max]. */
  private static String nearest(long value, long step, long min, long max) {
    long below = value / step * step;
    long above = below + step;
    List<String> out = new ArrayList<>();
    if (below >= min && below <= max) {
      out.add(Long.toString(below));
    }
    if (above >= min && above <= max) {
      out.add(Long.toString(above));
    }
    return out.isEmpty() ? "none" : String.join(" or ", out);
  }

  static long mix(long seed, long stream) {
    long z = seed * 0x9E3779B97F4A7C15L + stream * 0xD1B54A32D192ED03L + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A uniform random permutation of 0..n-1 (Fisher-Yates) drawn from {@code random}. */
  public static int[] permutation(int n, SplittableRandom random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  public PlanSpec spec() {
    return spec;
  }

  public Manifest manifest() {
    return manifest;
  }

  /** U/L. */
  public int uniqueSequences() {
    return uniqueSequences;
  }

  /** T/(B*L): every rank runs exactly this many steps. */
  public long steps() {
    return steps;
  }

  /** B/W. */
  public int sequencesPerRank() {
    return spec.globalBatch() / spec.worldSize();
  }

  /** B*L. */
  public long tokensPerStep() {
    return (long) spec.globalBatch() * spec.seqLen();
  }

  /** T/U, possibly fractional. */
  public double epochs() {
    return (double) spec.totalTokens() / spec.uniqueTokens();
  }

  /** Training documents (whole or cut at the end) that make up the unique set. */
  public int uniqueDocuments() {
    return streamStart.length;
  }

  /** Where step {@code step} starts. {@code step == steps()} is the end of the plan. */
  public Cursor cursor(long step) {
    if (step < 0 || step > steps) {
      throw new IllegalArgumentException("step " + step + " is outside the plan's 0.." + steps);
    }
    long position = step * spec.globalBatch();
    return new Cursor(step, position / uniqueSequences, position % uniqueSequences);
  }

  /** The cursor at (epoch, offset); offset must fall on a step boundary. */
  public Cursor cursor(long epoch, long offset) {
    long position = epoch * uniqueSequences + offset;
    if (offset < 0 || offset >= uniqueSequences || position % spec.globalBatch() != 0) {
      throw new IllegalArgumentException(
          "epoch "
              + epoch
              + " offset "
              + offset
              + " is not the start of a step (steps read "
              + spec.globalBatch()
              + " sequences; an epoch has "
              + uniqueSequences
              + ")");
    }
    return cursor(position / spec.globalBatch());
  }

  /** The unique sequence read at global position {@code position} (0 .. T/L). */
  public int sequenceAt(long position) {
    long epoch = position / uniqueSequences;
    return epochPermutation(epoch)[(int) (position % uniqueSequences)];
  }

  private synchronized int[] epochPermutation(long epoch) {
    if (epoch != cachedEpoch) {
      cachedPermutation =
          permutation(uniqueSequences, new SplittableRandom(mix(spec.seed(), epoch)));
      cachedEpoch = epoch;
    }
    return cachedPermutation;
  }

  /** The unique sequences that {@code rank} reads at {@code step}, in order. */
  public int[] sequences(long step, int rank) {
    if (step < 0 || step >= steps) {
      throw new IllegalArgumentException(
          "step " + step + " is outside the plan's 0.." + (steps - 1));
    }
    if (rank < 0 || rank >= spec.worldSize()) {
      throw new IllegalArgumentException(
          "rank " + rank + " is outside 0.." + (spec.worldSize() - 1));
    }
    int n = sequencesPerRank();
    long first = step * spec.globalBatch() + (long) rank * n;
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = sequenceAt(first + i);
    }
    return out;
  }

  /**
   * A run of consecutive tokens of the training split's stream.
   *
   * @param offset its first token's offset in the train split
   * @param length its tokens
   */
  public record Piece(long offset, int length) {}

  /**
   * The pieces of the training split's token stream that make up unique sequence {@code seq}, in
   * order; their lengths add up to L.
   */
  public List<Piece> pieces(int seq) {
    long from = (long) seq * spec.seqLen();
    long to = from + spec.seqLen();
    int j = Arrays.binarySearch(streamStart, from);
    if (j < 0) {
      j = -j - 2;
    }
    List<Piece> out = new ArrayList<>(2);
    for (long at = from; at < to; j++) {
      long inDoc = at - streamStart[j];
      int len = (int) Math.min(to - at, uniqueDocLength[j] - inDoc);
      out.add(new Piece(trainOffset[j] + inDoc, len));
      at += len;
    }
    return out;
  }

  /** What plan.json holds. */
  public PlanSummary summary(int firstSequences) {
    int shown = (int) Math.min(firstSequences, sequencesPerRank());
    int[] first = Arrays.copyOf(sequences(0, 0), shown);
    return new PlanSummary(
        spec.uniqueTokens(),
        spec.totalTokens(),
        spec.seqLen(),
        spec.globalBatch(),
        spec.worldSize(),
        spec.seed(),
        epochs(),
        steps,
        tokensPerStep(),
        sequencesPerRank(),
        uniqueSequences,
        uniqueDocuments(),
        manifest.train().tokens(),
        manifest.tokenizer(),
        first);
  }
}
