package io.crossover.driver.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Failure;
import io.crossover.data.Json;
import io.crossover.data.UserException;
import io.crossover.data.shard.Filesystems;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The one writer of a run directory (or a sweep): a file {@code .NAME.lease} beside it, created
 * atomically (exclusive create: on HDFS by the NameNode, on a local disk by the kernel), holding
 * the owner's identity and kept alive by a heartbeat (its modification time). A second writer is
 * refused while the owner lives; a lease whose heartbeat stopped longer than {@link #TIMEOUT_MS}
 * ago, or whose owner's process on this host has ended, is taken over and said so. Its {@link
 * #generation()} orders the writers of a run for {@link RunDir#fence}: a taken-over owner that
 * wakes up finds its writes refused.
 */
public final class RunLease implements AutoCloseable {
  /** A heartbeat older than this is a dead owner's. */
  public static final long TIMEOUT_MS = 60_000;

  private final FileSystem fs;
  private final Path file;
  private final String token;
  private final long generation;
  private final ScheduledExecutorService heartbeat;
  private volatile String lost;

  /** The tokens of the leases this process holds: its pid alone cannot tell its commands apart. */
  private static final Set<String> HELD = ConcurrentHashMap.newKeySet();

  /** The run root this lease made: removed with the lease when nothing else came into it. */
  private Path madeRoot;

  private RunLease(FileSystem fs, Path file, String token, long generation) {
    this.fs = fs;
    this.file = file;
    this.token = token;
    this.generation = generation;
    HELD.add(token);
    heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "lease " + file.getName());
              t.setDaemon(true);
              return t;
            });
    heartbeat.scheduleWithFixedDelay(
        this::beat, TIMEOUT_MS / 6, TIMEOUT_MS / 6, TimeUnit.MILLISECONDS);
  }

  /** Where the lease of {@code dir} lives: beside it, so that replacing the run keeps it. */
  public static Path fileOf(Path dir) {
    return new Path(dir.getParent(), "." + dir.getName() + ".lease");
  }

  /**
   * Takes the lease of {@code dir} for {@code command}, or refuses (a {@link UserException} naming
   * the owner and how to check that it is gone). A stale lease is taken over, said to {@code out}.
   */
  public static RunLease take(
      String dir, Configuration hadoop, String command, Consumer<String> out) {
    Path path = new Path(dir);
    try {
      FileSystem fs = Filesystems.of(path, hadoop);
      Path qualified = fs.makeQualified(path);
      Path file = fileOf(qualified);
      boolean rootExisted = fs.exists(qualified.getParent());
      fs.mkdirs(qualified.getParent());
      String token = UUID.randomUUID().toString();
      long generation = System.currentTimeMillis();
      String record = Json.write(record(token, generation, command));
      if (!createExclusive(fs, file, record)) {
        Owner owner = awaitLate(fs, file, Owner.read(fs, file), out);
        if (owner == null || !owner.stale(System.currentTimeMillis())) {
          throw refusal(qualified, file, owner);
        }
        takeOver(fs, file, owner, qualified);
        if (!createExclusive(fs, file, record)) {
          throw refusal(qualified, file, Owner.read(fs, file));
        }
        out.accept(
            "lease: took over "
                + qualified
                + " from "
                + owner.describe()
                + ", "
                + owner.whyStale(System.currentTimeMillis()));
      }
      RunLease lease = new RunLease(fs, file, token, generation);
      lease.madeRoot = rootExisted ? null : qualified.getParent();
      return lease;
    } catch (IOException e) {
      throw new Failure("cannot take the lease " + fileOf(path) + ": " + e.getMessage(), e);
    }
  }

  /**
   * An owner two heartbeats late is most likely gone (a driver pod restarted by its job, say):
   * rather than refuse, wait until its lease is stale, unless it beats again meanwhile.
   */
  private static Owner awaitLate(FileSystem fs, Path file, Owner owner, Consumer<String> out)
      throws IOException {
    long now = System.currentTimeMillis();
    if (owner == null || owner.stale(now) || now - owner.heartbeat() <= TIMEOUT_MS / 3) {
      return owner;
    }
    long wait = owner.heartbeat() + TIMEOUT_MS + 1000 - now;
    out.accept(
        "lease: "
            + file
            + " is held by "
            + owner.describe()
            + ", "
            + owner.heartbeat(now)
            + "; waiting "
            + wait / 1000
            + " s for it to expire");
    try {
      Thread.sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return owner;
    }
    return Owner.read(fs, file);
  }

  /** Orders this owner among the run's writers: later takers have larger generations. */
  public long generation() {
    return generation;
  }

  /** Why this process no longer owns the run, or null while it does. */
  public String lost() {
    return lost;
  }

  /** Throws when the lease was taken over: this process must stop writing. */
  public void check() {
    String why = lost;
    if (why != null) {
      throw new Failure(why);
    }
  }

  /** Stops the heartbeat and removes the lease if it is still this process's. */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    HELD.remove(token);
    try {
      Owner owner = Owner.read(fs, file);
      if (owner != null && owner.token().equals(token)) {
        fs.delete(file, false);
        // A command refused before it wrote anything leaves no empty run root behind.
        if (madeRoot != null && fs.listStatus(madeRoot).length == 0) {
          fs.delete(madeRoot, false);
        }
      }
    } catch (IOException e) {
      // Left behind, it goes stale and is taken over; nothing is lost.
    }
  }

  /** Renews the lease, or finds it lost; runs every {@code TIMEOUT_MS / 6}. */
  void beat() {
    try {
      Owner owner = Owner.read(fs, file);
      if (owner == null || !owner.token().equals(token)) {
        lost =
            "lost the lease of "
                + file
                + (owner == null ? ": it was removed" : " to " + owner.describe())
                + "; this process stops writing (its heartbeat was late by more than "
                + TIMEOUT_MS / 1000
                + " s)";
        heartbeat.shutdown();
        return;
      }
      fs.setTimes(file, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      // A filesystem that fails for a moment (a NameNode restart) is tried again next beat.
    }
  }

  private static Map<String, Object> record(String token, long generation, String command) {
    ProcessHandle self = ProcessHandle.current();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("token", token);
    m.put("generation", generation);
    m.put("host", host());
    m.put("pid", self.pid());
    m.put("process_start", self.info().startInstant().map(Instant::toString).orElse(""));
    m.put("user", System.getProperty("user.name"));
    m.put("command", command);
    m.put("taken", Instant.ofEpochMilli(generation).toString());
    return m;
  }

  static String host() {
    return Host.NAME;
  }

  /** Looked up once: a slow resolver must not slow every lease read. */
  private static final class Host {
    static final String NAME = lookup();

    private static String lookup() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        String env = System.getenv("HOSTNAME");
        return env == null ? "unknown-host" : env;
      }
    }
  }

  /**
   * Creates {@code file} holding {@code record} unless it exists, atomically: false when it does.
   */
  private static boolean createExclusive(FileSystem fs, Path file, String record)
      throws IOException {
    byte[] bytes = record.getBytes(StandardCharsets.UTF_8);
    if (fs instanceof RawLocalFileSystem local) {
      // Hadoop's local create(overwrite=false) checks, then creates: O_EXCL is atomic.
      // java.nio's Path and Hadoop's FileAlreadyExistsException below are qualified: this
      // file's Path is Hadoop's, its FileAlreadyExistsException java.nio's.
      java.nio.file.Path nio = local.pathToFile(file).toPath();
      try {
        Files.write(nio, bytes, StandardOpenOption.CREATE_NEW);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    try (OutputStream out = fs.create(file, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      if (fs.exists(file)) {
        return false; // HDFS says AlreadyBeingCreated while another client writes it
      }
      throw e;
    }
  }

  /**
   * Moves a stale lease aside; if it turns out fresh once moved (another taker got there first and
   * wrote its own), puts it back and refuses.
   */
  private static void takeOver(FileSystem fs, Path file, Owner stale, Path dir) throws IOException {
    Path aside = new Path(file.getParent(), file.getName() + ".stale-" + UUID.randomUUID());
    if (!fs.rename(file, aside)) {
      throw refusal(dir, file, Owner.read(fs, file));
    }
    Owner moved = Owner.read(fs, aside);
    if (moved == null || !moved.token().equals(stale.token())) {
      fs.rename(aside, file);
      throw refusal(dir, file, moved);
    }
    fs.delete(aside, false);
  }

  private static UserException refusal(Path dir, Path file, Owner owner) {
    String who =
        owner == null
            ? "another process (its lease " + file + " is being written)"
            : owner.describe() + ", " + owner.heartbeat(System.currentTimeMillis());
    return new UserException(
        "run.name: "
            + dir
            + " is in use by "
            + who
            + ". One writer per run: wait for it, or check that it is gone"
            + (owner == null ? "" : " (" + owner.howToCheck() + ")")
            + "; a lease whose heartbeat stops for "
            + TIMEOUT_MS / 1000
            + " s is taken over by the next command. Lease: "
            + file);
  }

  /** What a lease file says, and when it was last renewed. */
  record Owner(JsonNode json, long heartbeat) {
    static Owner read(FileSystem fs, Path file) throws IOException {
      try {
        FileStatus status = fs.getFileStatus(file);
        try (var in = fs.open(file)) {
          byte[] bytes = in.readAllBytes();
          if (bytes.length == 0) {
            return null; // being written
          }
          return new Owner(Json.MAPPER.readTree(bytes), status.getModificationTime());
        }
      } catch (FileNotFoundException e) {
        return null;
      } catch (JsonProcessingException e) {
        // Damaged (a crash mid-write): treated as a lease with no known owner.
        return new Owner(Json.MAPPER.createObjectNode(), 0);
      }
    }

    String token() {
      return json.path("token").asText("");
    }

    boolean sameHost() {
      return host().equals(json.path("host").asText());
    }

    /** Whether the owner's process on this host has ended (or another took its pid). */
    boolean processGone() {
      if (!sameHost() || !json.has("pid")) {
        return false;
      }
      if (json.path("pid").asLong() == ProcessHandle.current().pid()) {
        // An earlier command of this very process that could not remove its lease.
        return !HELD.contains(token());
      }
      return ProcessHandle.of(json.path("pid").asLong())
          .map(
              p ->
                  !p.isAlive()
                      || !p.info()
                          .startInstant()
                          .map(Instant::toString)
                          .orElse("")
                          .equals(json.path("process_start").asText()))
          .orElse(true);
    }

    boolean stale(long now) {
      return processGone() || now - heartbeat > TIMEOUT_MS;
    }

    String whyStale(long now) {
      if (processGone() && json.path("pid").asLong() == ProcessHandle.current().pid()) {
        return "left behind by an earlier command of this process";
      }
      return processGone()
          ? "whose process " + json.path("pid").asLong() + " on this host has ended"
          : "whose last heartbeat was " + (now - heartbeat) / 1000 + " s ago";
    }

    String heartbeat(long now) {
      return "last heartbeat " + Math.max(0, now - heartbeat) / 1000 + " s ago";
    }

    String describe() {
      if (!json.has("token")) {
        return "an unknown owner (the lease file is damaged)";
      }
      return "`"
          + json.path("command").asText()
          + "` of "
          + json.path("user").asText()
          + " on "
          + json.path("host").asText()
          + " (pid "
          + json.path("pid").asLong()
          + ", since "
          + json.path("taken").asText()
          + ")";
    }

    String howToCheck() {
      return sameHost()
          ? "`ps -p " + json.path("pid").asLong() + "` on this host"
          : "`ps -p "
              + json.path("pid").asLong()
              + "` on "
              + json.path("host").asText()
              + ", or its application in the cluster manager";
    }
  }
}
