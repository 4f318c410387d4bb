package io.crossover.data.read;

import io.crossover.data.Failure;
import io.crossover.data.UserException;
import io.crossover.data.config.ReaderConfig;
import io.crossover.data.plan.TokenPlan;
import io.crossover.data.shard.Dataset;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Delivers exactly the sequences a {@link TokenPlan} gives one rank, step by step, from the Arrow
 * shards of a dataset on any Hadoop filesystem. A background thread reads ahead; a failure there (a
 * corrupt shard, a lost datanode) is rethrown by {@link #next()} with the rank and step. Closing
 * releases every Arrow buffer; the allocator's close fails loudly on a leak.
 */
public final class ArrowTokenReader implements Iterator<StepBatch>, AutoCloseable {
  private static final Object END = new Object();

  private final TokenPlan plan;
  private final int rank;
  private final long toStep;
  private final BufferAllocator allocator;
  private final BlockingQueue<Object> queue;
  private final Thread worker;
  private volatile boolean closed;
  private long nextStep;
  private Object head;

  /**
   * Starts reading steps [fromStep, toStep) for {@code rank}.
   *
   * @param parent the allocator to take a child from; it is closed with the reader
   */
  public ArrowTokenReader(
      Dataset dataset,
      TokenPlan plan,
      int rank,
      long fromStep,
      long toStep,
      ReaderConfig config,
      BufferAllocator parent) {
    if (fromStep < 0 || fromStep > toStep || toStep > plan.steps()) {
      throw new IllegalArgumentException(
          "steps [" + fromStep + ", " + toStep + ") are outside the plan's 0.." + plan.steps());
    }
    this.plan = plan;
    this.rank = rank;
    this.toStep = toStep;
    this.nextStep = fromStep;
    this.allocator = parent.newChildAllocator("reader-rank-" + rank, 0, Long.MAX_VALUE);
    this.queue = new ArrayBlockingQueue<>(config.readAhead());
    ShardCache cache =
        new ShardCache(
            dataset,
            dataset.manifest().train(),
            config.verifyChecksums(),
            config.cacheTokens(),
            allocator);
    this.worker = new Thread(() -> produce(cache, fromStep), "crossover-reader-rank-" + rank);
    worker.setDaemon(true);
    worker.start();
  }

  private void produce(ShardCache cache, long fromStep) {
    long step = fromStep;
    try (cache) {
      int seqLen = plan.spec().seqLen();
      for (; step < toStep && !closed; step++) {
        int[] sequences = plan.sequences(step, rank);
        int[][] tokens = new int[sequences.length][seqLen];
        for (int i = 0; i < sequences.length; i++) {
          int at = 0;
          for (TokenPlan.Piece piece : plan.pieces(sequences[i])) {
            cache.copy(piece.offset(), piece.length(), tokens[i], at);
            at += piece.length();
          }
        }
        put(new StepBatch(step, tokens));
      }
      put(END);
    } catch (Throwable t) {
      put(new ReadError(step, t));
    }
  }

  private void put(Object item) {
    try {
      while (!closed && !queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
        // Wait for the consumer, but notice close().
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public boolean hasNext() {
    return peek() != END;
  }

  @Override
  public StepBatch next() {
    Object item = peek();
    if (item == END) {
      throw new NoSuchElementException(
          "the reader is at step " + toStep + ", the end of its range");
    }
    head = null;
    if (item instanceof ReadError f) {
      head = f;
      String where = "rank " + rank + " cannot read step " + f.step + ": ";
      if (f.cause instanceof UserException) {
        throw new UserException(where + f.cause.getMessage(), f.cause);
      }
      throw new Failure(where + f.cause.getMessage(), f.cause);
    }
    nextStep++;
    return (StepBatch) item;
  }

  private Object peek() {
    if (closed) {
      throw new IllegalStateException("reader is closed");
    }
    while (head == null) {
      try {
        head = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for step " + nextStep, e);
      }
    }
    return head;
  }

  /** Stops the background thread and releases all Arrow memory. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    queue.clear();
    try {
      worker.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    allocator.close();
  }

  private record ReadError(long step, Throwable cause) {}
}
