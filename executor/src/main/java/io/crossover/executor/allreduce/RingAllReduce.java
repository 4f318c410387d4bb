package io.crossover.executor.allreduce;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Ring all-reduce of a float buffer over TCP between data-parallel ranks. Each rank connects to the
 * next and accepts the previous; every connection is authenticated with the run's secret (HMAC
 * challenge-response), and every read has a timeout so that a dead peer fails the step instead of
 * hanging it. Data moves through non-blocking channels from direct buffers, so the JDK makes no
 * copy of its own between the float buffer and the kernel.
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
  private final int timeoutMillis;
  private final Socket toNext;
  private final Socket fromPrevious;
  private final Channel out;
  private final Channel in;
  private final ExecutorService sender;
  private final ByteBuffer sendBytes;
  private final FloatBuffer sendFloats;
  private final ByteBuffer receiveBytes;
  private final FloatBuffer receiveFloats;
  private final float[] received;

  /** Elements per stripe: the unit of chunk ownership (64 KiB of floats). */
  static final int STRIPE = 16 * 1024;

  private RingAllReduce(
      int rank,
      int worldSize,
      int pieceFloats,
      int timeoutMillis,
      Socket toNext,
      Socket fromPrevious)
      throws IOException {
    this.rank = rank;
    this.worldSize = worldSize;
    this.pieceFloats = pieceFloats;
    this.timeoutMillis = timeoutMillis;
    this.sendBytes = ByteBuffer.allocateDirect(pieceFloats * 4).order(ByteOrder.LITTLE_ENDIAN);
    this.sendFloats = sendBytes.asFloatBuffer();
    this.receiveBytes = ByteBuffer.allocateDirect(pieceFloats * 4).order(ByteOrder.LITTLE_ENDIAN);
    this.receiveFloats = receiveBytes.asFloatBuffer();
    this.received = new float[pieceFloats];
    this.toNext = toNext;
    this.fromPrevious = fromPrevious;
    this.out = new Channel(toNext.getChannel(), true, timeoutMillis);
    try {
      this.in = new Channel(fromPrevious.getChannel(), false, timeoutMillis);
    } catch (IOException e) {
      out.close();
      throw e;
    }
    this.sender =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "crossover-ring-send-" + rank);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * A listening socket a rank can join the ring with (its data path needs a socket made by a
   * channel); {@code address} null listens on every interface. The port is chosen by the system.
   */
  public static ServerSocket listen(InetAddress address) throws IOException {
    ServerSocketChannel channel = ServerSocketChannel.open();
    try {
      channel.bind(new InetSocketAddress(address, 0), 16);
      return channel.socket();
    } catch (IOException e) {
      channel.close();
      throw e;
    }
  }

  /** No progress within the timeout, sending to the next rank or receiving from the previous. */
  private static final class Stalled extends SocketTimeoutException {
    private static final long serialVersionUID = 1L;
    final boolean sending;

    Stalled(boolean sending) {
      super(sending ? "the next rank took no data" : "no data from the previous rank");
      this.sending = sending;
    }
  }

  /**
   * One direction of the ring, non-blocking: whole buffers are moved, waiting on a selector at most
   * the all-reduce timeout for each bit of progress.
   */
  private static final class Channel implements AutoCloseable {
    private final SocketChannel socket;
    private final Selector selector;
    private final int timeoutMillis;
    private final boolean sending;

    Channel(SocketChannel socket, boolean sending, int timeoutMillis) throws IOException {
      this.socket = socket;
      this.timeoutMillis = timeoutMillis;
      this.sending = sending;
      socket.configureBlocking(false);
      this.selector = Selector.open();
      try {
        socket.register(selector, sending ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
      } catch (IOException e) {
        selector.close();
        throw e;
      }
    }

    void write(ByteBuffer bytes) throws IOException {
      while (bytes.hasRemaining()) {
        if (socket.write(bytes) == 0) {
          await();
        }
      }
    }

    void read(ByteBuffer bytes) throws IOException {
      while (bytes.hasRemaining()) {
        int n = socket.read(bytes);
        if (n < 0) {
          throw new EOFException("connection closed by the peer");
        }
        if (n == 0) {
          await();
        }
      }
    }

    private void await() throws IOException {
      int ready = selector.select(timeoutMillis);
      // An interrupt wakes the selector at once, and would again on every call: stop instead.
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedIOException("interrupted during the all-reduce");
      }
      if (ready == 0) {
        throw new Stalled(sending);
      }
      selector.selectedKeys().clear();
    }

    @Override
    public void close() throws IOException {
      selector.close();
    }
  }

  /**
   * Joins the ring. {@code server} is this rank's listening socket, made by {@link #listen} (its
   * address was published to the others); {@code peers} holds every rank's address, in rank order.
   */
  public static RingAllReduce connect(
      int rank,
      List<InetSocketAddress> peers,
      ServerSocket server,
      byte[] secret,
      int timeoutMillis,
      int pieceBytes) {
    if (server.getChannel() == null) {
      throw new IllegalArgumentException(
          "rank " + rank + ": the ring's listening socket must come from RingAllReduce.listen");
    }
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
      return new RingAllReduce(
          rank, worldSize, Math.max(1, pieceBytes / 4), timeoutMillis, toNext, fromPrevious);
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
        return authenticated(s, secret, rank, previous, timeoutMillis);
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
      Socket s = SocketChannel.open().socket();
      try {
        s.connect(address, timeoutMillis);
        return authenticated(s, secret, rank, next, timeoutMillis);
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

  /** The socket, once its timeouts and buffers are set and {@code peer} has proven the secret. */
  private static Socket authenticated(
      Socket s, byte[] secret, int rank, int peer, int timeoutMillis) throws IOException {
    configure(s, timeoutMillis);
    PeerAuth.handshake(
        new DataInputStream(s.getInputStream()),
        new DataOutputStream(s.getOutputStream()),
        secret,
        rank,
        peer);
    return s;
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
                return null;
              });
      receive.run();
      try {
        sending.get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    } catch (Stalled e) {
      throw new IllegalStateException(
          "rank "
              + rank
              + (e.sending
                  ? ": rank " + ((rank + 1) % worldSize) + " took no data"
                  : ": no data from rank " + ((rank - 1 + worldSize) % worldSize))
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
    int filled = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      for (int at = ranges[i]; at < ranges[i + 1]; ) {
        int count = Math.min(pieceFloats - filled, ranges[i + 1] - at);
        sendFloats.put(filled, buffer, at, count);
        filled += count;
        at += count;
        if (filled == pieceFloats) {
          out.write(sendBytes.clear());
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      out.write(sendBytes.clear().limit(filled * 4));
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
    int range = 0;
    int at = ranges.length == 0 ? 0 : ranges[0];
    for (long done = 0; done < total; ) {
      int count = (int) Math.min(pieceFloats, total - done);
      in.read(receiveBytes.clear().limit(count * 4));
      if (add) {
        // Out of the direct buffer in one bulk copy, then added by a loop the JIT vectorises:
        // reading each float of a direct buffer inside the add is slower than both together.
        receiveFloats.get(0, received, 0, count);
      }
      for (int used = 0; used < count; ) {
        int n = Math.min(count - used, ranges[range + 1] - at);
        if (add) {
          for (int k = 0; k < n; k++) {
            buffer[at + k] += received[used + k];
          }
        } else {
          receiveFloats.get(used, buffer, at, n);
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
            for (long sent = 0; sent < bytesPerStep; sent += sendBytes.capacity()) {
              out.write(
                  sendBytes
                      .clear()
                      .limit((int) Math.min(sendBytes.capacity(), bytesPerStep - sent)));
            }
          },
          () -> {
            for (long got = 0; got < bytesPerStep; got += receiveBytes.capacity()) {
              in.read(
                  receiveBytes
                      .clear()
                      .limit((int) Math.min(receiveBytes.capacity(), bytesPerStep - got)));
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
    return timeoutMillis / 1000;
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
    // Each on its own: a registered channel frees its socket only once its selector is closed.
    for (AutoCloseable c : List.<AutoCloseable>of(out, in, toNext, fromPrevious)) {
      try {
        c.close();
      } catch (Exception ignored) {
        // Closing a broken connection can fail; nothing more can be released.
      }
    }
  }
}
