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
 * <p>Reduce-scatter then all-gather, the buffer cut into W chunks and streamed in fixed-size pieces
 * (receive and add overlap with sending). Each chunk is summed once, in ring order, by the rank
 * that ends up owning it, and then copied to the others, so every rank ends with bitwise the same
 * values.
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

  private RingAllReduce(
      int rank, int worldSize, int pieceFloats, Socket toNext, Socket fromPrevious)
      throws IOException {
    this.rank = rank;
    this.worldSize = worldSize;
    this.pieceFloats = pieceFloats;
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

  /** Replaces {@code buffer} by the element-wise sum over ranks (bitwise equal on every rank). */
  @Override
  public void sum(float[] buffer) {
    int n = buffer.length;
    try {
      // Reduce-scatter: after W-1 steps rank r holds the complete sum of chunk (r + 1) mod W.
      for (int s = 0; s < worldSize - 1; s++) {
        exchange(buffer, chunk(rank - s, n), chunk(rank - s - 1, n), true);
      }
      // All-gather: pass the complete chunks around the ring.
      for (int s = 0; s < worldSize - 1; s++) {
        exchange(buffer, chunk(rank + 1 - s, n), chunk(rank - s, n), false);
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

  /** Sends {@code send} to the next rank while receiving {@code receive} from the previous one. */
  private void exchange(float[] buffer, int[] send, int[] receive, boolean add) throws IOException {
    Future<?> sending =
        sender.submit(
            () -> {
              writeRange(buffer, send[0], send[1]);
              return null;
            });
    readRange(buffer, receive[0], receive[1], add);
    try {
      sending.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private void writeRange(float[] buffer, int from, int to) throws IOException {
    byte[] bytes = new byte[Math.min(pieceFloats, Math.max(1, to - from)) * 4];
    ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = from; at < to; at += pieceFloats) {
      int count = Math.min(pieceFloats, to - at);
      view.clear();
      view.asFloatBuffer().put(buffer, at, count);
      out.write(bytes, 0, count * 4);
    }
    out.flush();
  }

  private void readRange(float[] buffer, int from, int to, boolean add) throws IOException {
    byte[] bytes = new byte[Math.min(pieceFloats, Math.max(1, to - from)) * 4];
    float[] scratch = new float[bytes.length / 4];
    ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = from; at < to; at += pieceFloats) {
      int count = Math.min(pieceFloats, to - at);
      in.readFully(bytes, 0, count * 4);
      view.clear();
      if (add) {
        // Bulk-decode, then a plain loop the JIT vectorises.
        view.asFloatBuffer().get(scratch, 0, count);
        for (int i = 0; i < count; i++) {
          buffer[at + i] += scratch[i];
        }
      } else {
        view.asFloatBuffer().get(buffer, at, count);
      }
    }
  }

  /** [from, to) of chunk c (mod W) of an n-element buffer. */
  private int[] chunk(int c, int n) {
    int index = ((c % worldSize) + worldSize) % worldSize;
    return new int[] {
      (int) ((long) index * n / worldSize), (int) ((long) (index + 1) * n / worldSize)
    };
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
