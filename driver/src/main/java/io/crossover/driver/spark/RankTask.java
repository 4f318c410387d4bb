package io.crossover.driver.spark;

import io.crossover.data.Failure;
import io.crossover.data.UserException;
import io.crossover.data.config.ConfigLoader;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.driver.run.RankTraining;
import io.crossover.driver.run.RunDir;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.allreduce.RingAllReduce;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.resource.ResourceInformation;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The body of one barrier task: one data-parallel rank. The barrier is used once, to learn the
 * other ranks' addresses; gradients then travel rank to rank over the authenticated ring. (Scala's
 * Iterator is qualified: java.util's is imported.)
 */
public final class RankTask
    extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>>
    implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String configJson;
  private final String runDir;
  private final String secretHex;
  private final long generation;

  /** {@code generation}: the lease generation of the command that runs the stage. */
  RankTask(String configJson, String runDir, long generation, byte[] secret) {
    this.configJson = configJson;
    this.runDir = runDir;
    this.generation = generation;
    this.secretHex = HexFormat.of().formatHex(secret);
  }

  /** The GPU addresses Spark assigned to this task (spark.task.resource.gpu.amount). */
  private static List<String> gpus(BarrierTaskContext ctx) {
    ResourceInformation gpu = ctx.resourcesJMap().get("gpu");
    return gpu == null ? List.of() : List.of(gpu.addresses());
  }

  @Override
  public scala.collection.Iterator<String> apply(scala.collection.Iterator<Integer> ignored) {
    BarrierTaskContext ctx = BarrierTaskContext.get();
    int rank = ctx.partitionId();
    CrossoverConfig config = ConfigLoader.fromJson(configJson);
    Configuration hadoop = RunDir.hadoopConf();
    long[] stepsDone = {-1};
    try (ServerSocket server = RingAllReduce.listen(null)) {
      // Rendezvous, once per stage attempt: allGather costs about a second, so never per step.
      String host = ctx.getTaskInfos()[rank].address().replaceAll(":\\d+$", "");
      String[] all = ctx.allGather(host + ":" + server.getLocalPort());
      List<InetSocketAddress> peers = new ArrayList<>();
      for (String a : all) {
        int colon = a.lastIndexOf(':');
        peers.add(
            new InetSocketAddress(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))));
      }
      try (Collective ring =
          Collective.connect(
              config.cluster(), rank, peers, server, HexFormat.of().parseHex(secretHex))) {
        // Each attempt resumes from the latest checkpoint (there is none on the first one).
        RunDir run = RunDir.open(runDir, hadoop);
        // Rank 0 fences out the tasks of earlier attempts (Spark may not have stopped them yet).
        run.fence(new RunDir.Fence(generation, ctx.stageAttemptNumber()), rank == 0);
        long done =
            RankTraining.forRank(config, run, hadoop)
                .train(true, hadoop, ring, gpus(ctx), step -> stepsDone[0] = step);
        Iterator<String> out = List.of(rank + ":" + done).iterator();
        return CollectionConverters.asScala(out);
      }
    } catch (IOException | RuntimeException e) {
      throw failure(rank, stepsDone[0], ctx.stageAttemptNumber(), e);
    }
  }

  /**
   * The failure as the driver should read it: with the rank, its step and the stage attempt; a
   * user's mistake stays one (so the CLI exits 2), anything else is a failure of this rank.
   */
  private static RuntimeException failure(int rank, long stepsDone, int attempt, Exception e) {
    String where =
        "rank "
            + rank
            + (stepsDone < 0 ? ", before it finished a step" : ", after step " + stepsDone)
            + " (stage attempt "
            + attempt
            + "): ";
    if (e instanceof UserException) {
      return new UserException(where + e.getMessage(), e);
    }
    String why = e instanceof Failure ? e.getMessage() : e.toString();
    return new Failure(where + why, e);
  }
}
