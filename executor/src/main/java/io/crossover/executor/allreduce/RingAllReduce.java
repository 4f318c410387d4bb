package io.crossover.executor.allreduce;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Ring all-reduce of a float buffer over TCP between data-parallel ranks. Each rank connects to the
 * next and accepts the previous; every connection is authenticated with the run's secret (HMAC
 * challenge-response), and every read has a timeout so that a dead peer fails the step instead of
 * hanging it.
 *
 * <p>Reduce-scatter then all-gather, the buffer cut into W chunks (interleaved stripes) and
 * streamed in fixed-size pieces (receive and add overlap with sending). Each chunk is summed once,
 * in ring order, by the rank that ends up owning it, and then copied to the others, so every rank
 * ends with bitwise the same values.
 */
public final class RingAllReduce implements Collective, AutoCloseable {
  private static final Logger LOG = Logger.getLogger(RingAllReduce.class.getName());

  private final int rank;
  private final int worldSize;
  private final int pieceFloats;
  private final Socket toNext;
  private final Socket fromPrevious;
  private final DataOutputStream out;
  private final DataInputStream in;
  private final ExecutorService sender;
  private final byte[] sendBytes;
  private final byte[] receiveBytes;

  private static final java.lang.invoke.VarHandle FLOATS =
      java.lang.invoke.MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

  /** Elements per stripe: the unit of chunk ownership (64 KiB of floats). */
  static final int STRIPE = 16 * 1024;

  private RingAllReduce(
      int rank, int worldSize, int pieceFloats, Socket toNext, Socket fromPrevious)
      throws IOException {
    this.rank = rank;
    this.worldSize = worldSize;
    this.pieceFloats = pieceFloats;
    this.sendBytes = new byte[pieceFloats * 4];
    this.receiveBytes = new byte[pieceFloats * 4];
    this.toNext = toNext;
    this.fromPrevious = fromPrevious;
    this.out = new DataOutputStream(new BufferedOutputStream(toNext.getOutputStream(), 1 << 16));
    this.in = new DataInputStream(new BufferedInputStream(fromPrevious.getInputStream(), 1 << 16));
    this.sender =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "crossover-ring-send-" + rank);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Joins the ring. {@code server} is this rank's listening socket (its address was published to
   * the others); {@code peers} holds every rank's address, in rank order.
   */
  public static RingAllReduce connect(
      int rank,
      List<InetSocketAddress> peers,
      ServerSocket server,
      byte[] secret,
      int timeoutMillis,
      int pieceBytes) {
    int worldSize = peers.size();
    int next = (rank + 1) % worldSize;
    int previous = (rank - 1 + worldSize) % worldSize;
    ExecutorService acceptor = Executors.newSingleThreadExecutor();
    try {
      server.setSoTimeout(timeoutMillis);
      Future<Socket> accepted =
          acceptor.submit(() -> acceptAuthenticated(server, secret, rank, previous, timeoutMillis));
      Socket toNext = connectAuthenticated(peers.get(next), secret, rank, next, timeoutMillis);
      Socket fromPrevious = accepted.get(timeoutMillis * 2L, TimeUnit.MILLISECONDS);
      return new RingAllReduce(rank, worldSize, Math.max(1, pieceBytes / 4), toNext, fromPrevious);
    } catch (Exception e) {
      throw new IllegalStateException(
          "rank "
              + rank
              + " cannot join the all-reduce ring of "
              + worldSize
              + ": "
              + e.getMessage(),
          e);
    } finally {
      acceptor.shutdownNow();
    }
  }

  /** Accepts until the expected peer authenticates; impostors are logged and dropped. */
  private static Socket acceptAuthenticated(
      ServerSocket server, byte[] secret, int rank, int previous, int timeoutMillis)
      throws IOException {
    while (true) {
      Socket s = server.accept();
      try {
        configure(s, timeoutMillis);
        PeerAuth.handshake(
            new DataInputStream(s.getInputStream()),
            new DataOutputStream(s.getOutputStream()),
            secret,
            rank,
            previous);
        return s;
      } catch (PeerAuth.AuthException e) {
        LOG.warning(
            "rank "
                + rank
                + ": rejected a connection from "
                + s.getRemoteSocketAddress()
                + ": "
                + e.getMessage());
        s.close();
      } catch (IOException e) {
        LOG.warning(
            "rank "
                + rank
                + ": dropped a connection from "
                + s.getRemoteSocketAddress()
                + ": "
                + e);
        s.close();
      }
    }
  }

  private static Socket connectAuthenticated(
      InetSocketAddress address, byte[] secret, int rank, int next, int timeoutMillis)
      throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      Socket s = new Socket();
      try {
        s.connect(address, timeoutMillis);
        configure(s, timeoutMillis);
        PeerAuth.handshake(
            new DataInputStream(s.getInputStream()),
            new DataOutputStream(s.getOutputStream()),
            secret,
            rank,
            next);
        return s;
      } catch (PeerAuth.AuthException e) {
        s.close();
        throw e;
      } catch (IOException e) {
        s.close();
        if (System.nanoTime() > deadline) {
          throw new IOException("rank " + next + " at " + address + " unreachable: " + e, e);
        }
        sleep(50);
      }
    }
  }

  private static void configure(Socket s, int timeoutMillis) throws IOException {
    s.setSoTimeout(timeoutMillis);
    s.setTcpNoDelay(true);
    s.setSendBufferSize(1 << 20);
    s.setReceiveBufferSize(1 << 20);
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int worldSize() {
    return worldSize;
  }

  /**
   * Replaces {@code buffer} by the element-wise sum over ranks (bitwise equal on every rank). The
   * vector is cut into stripes of {@link #STRIPE} elements by global index, stripe k belonging to
   * chunk k mod W: an element's chunk, hence the rank its sum starts at, depends only on its global
   * index, so any bucketing of a vector sums it bitwise as the whole vector would.
   */
  @Override
  public void sum(float[] buffer, long globalIndex) {
    reduceScatter(buffer, globalIndex);
    allGather(buffer, globalIndex);
  }

  /** Reduce-scatter: after W-1 steps rank r holds the complete sum of chunk (r + 1) mod W. */
  @Override
  public void reduceScatter(float[] buffer, long globalIndex) {
    for (int s = 0; s < worldSize - 1; s++) {
      exchange(
          buffer,
          ranges(rank - s, buffer.length, globalIndex),
          ranges(rank - s - 1, buffer.length, globalIndex),
          true);
    }
  }

  /** All-gather: pass the complete chunks around the ring. */
  @Override
  public void allGather(float[] buffer, long globalIndex) {
    for (int s = 0; s < worldSize - 1; s++) {
      exchange(
          buffer,
          ranges(rank + 1 - s, buffer.length, globalIndex),
          ranges(rank - s, buffer.length, globalIndex),
          false);
    }
  }

  /** This rank's chunk, (rank + 1) mod W: the stripes whose sums its reduce-scatter completes. */
  @Override
  public int[] owned(int length, long globalIndex) {
    return ranges(rank + 1, length, globalIndex);
  }

  @Override
  public int stripe() {
    return STRIPE;
  }

  /** Sends {@code send} to the next rank while receiving {@code receive} from the previous one. */
  private void exchange(float[] buffer, int[] send, int[] receive, boolean add) {
    step(() -> writeRanges(buffer, send), () -> readRanges(buffer, receive, add));
  }

  /** What one side of a ring step does with the stream it owns. */
  private interface Io {
    void run() throws IOException;
  }

  /**
   * One ring step: {@code send} writes to the next rank on the sender thread while {@code receive}
   * reads from the previous one here; a silent peer or a broken connection fails with the rank.
   */
  private void step(Io send, Io receive) {
    try {
      Future<?> sending =
          sender.submit(
              () -> {
                send.run();
                out.flush();
                return null;
              });
      receive.run();
      try {
        sending.get();
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    } catch (SocketTimeoutException e) {
      throw new IllegalStateException(
          "rank "
              + rank
              + ": no data from rank "
              + ((rank - 1 + worldSize) % worldSize)
              + " within "
              + timeoutSeconds()
              + " s (all-reduce timeout); the peer is dead or stuck",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException("rank " + rank + ": all-reduce failed: " + e.getMessage(), e);
    }
  }

  /**
   * Streams the elements of {@code ranges} (local [from, to) pairs) as one run of little-endian
   * floats, packed into pieces of {@code pieceFloats} whatever the stripes' size, so that a chunk
   * of many stripes costs as few writes as a contiguous one.
   */
  private void writeRanges(float[] buffer, int[] ranges) throws IOException {
    FloatBuffer view = ByteBuffer.wrap(sendBytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int filled = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      for (int at = ranges[i]; at < ranges[i + 1]; ) {
        int count = Math.min(pieceFloats - filled, ranges[i + 1] - at);
        view.put(filled, buffer, at, count);
        filled += count;
        at += count;
        if (filled == pieceFloats) {
          out.write(sendBytes, 0, filled * 4);
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      out.write(sendBytes, 0, filled * 4);
    }
  }

  /**
   * Reads what the previous rank's {@link #writeRanges} sent for the same ranges, piece by piece,
   * and adds it to (or copies it into) their elements.
   */
  private void readRanges(float[] buffer, int[] ranges, boolean add) throws IOException {
    long total = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      total += ranges[i + 1] - ranges[i];
    }
    FloatBuffer view = ByteBuffer.wrap(receiveBytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int range = 0;
    int at = ranges.length == 0 ? 0 : ranges[0];
    for (long done = 0; done < total; ) {
      int count = (int) Math.min(pieceFloats, total - done);
      in.readFully(receiveBytes, 0, count * 4);
      for (int used = 0; used < count; ) {
        int n = Math.min(count - used, ranges[range + 1] - at);
        if (add) {
          // Decoded and added in one pass over the piece.
          for (int k = 0, b = used << 2; k < n; k++, b += 4) {
            buffer[at + k] += (float) FLOATS.get(receiveBytes, b);
          }
        } else {
          view.get(used, buffer, at, n);
        }
        used += n;
        at += n;
        if (at == ranges[range + 1] && range + 2 < ranges.length) {
          range += 2;
          at = ranges[range];
        }
      }
      done += count;
    }
  }

  /**
   * The ring's traffic with nothing else: {@code steps} steps, each sending {@code bytesPerStep}
   * bytes to the next rank while receiving as many from the previous one, over the same sockets,
   * threads and pieces as {@link #sum}, without converting or adding anything. Every rank must call
   * it alike. What {@code bench allreduce} measures the collectives against.
   */
  public void rawExchange(int steps, long bytesPerStep) {
    for (int s = 0; s < steps; s++) {
      step(
          () -> {
            for (long sent = 0; sent < bytesPerStep; sent += sendBytes.length) {
              out.write(sendBytes, 0, (int) Math.min(sendBytes.length, bytesPerStep - sent));
            }
          },
          () -> {
            for (long got = 0; got < bytesPerStep; got += receiveBytes.length) {
              in.readFully(
                  receiveBytes, 0, (int) Math.min(receiveBytes.length, bytesPerStep - got));
            }
          });
    }
  }

  /**
   * The local [from, to) ranges, flattened, of chunk c (mod W) of an n-element buffer holding
   * global elements from {@code globalIndex}.
   */
  int[] ranges(int c, int n, long globalIndex) {
    int chunk = ((c % worldSize) + worldSize) % worldSize;
    long end = globalIndex + n;
    long firstStripe = globalIndex / STRIPE;
    // The first stripe at or after firstStripe whose chunk is this one.
    long k = firstStripe + Math.floorMod(chunk - firstStripe, (long) worldSize);
    long lastStripe = (end - 1) / STRIPE;
    int count = n == 0 || k > lastStripe ? 0 : (int) ((lastStripe - k) / worldSize + 1);
    int[] out = new int[2 * count];
    int used = 0;
    for (; used < out.length; k += worldSize) {
      long from = Math.max(globalIndex, k * STRIPE);
      long to = Math.min(end, (k + 1) * STRIPE);
      out[used++] = (int) (from - globalIndex);
      out[used++] = (int) (to - globalIndex);
    }
    return out;
  }

  private int timeoutSeconds() {
    try {
      return fromPrevious.getSoTimeout() / 1000;
    } catch (IOException e) {
      return -1;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    sender.shutdownNow();
    try {
      toNext.close();
      fromPrevious.close();
    } catch (IOException ignored) {
      // Closing a broken connection can fail; nothing is left to release.
    }
  }
}
