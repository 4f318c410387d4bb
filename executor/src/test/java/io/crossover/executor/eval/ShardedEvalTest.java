package io.crossover.executor.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import io.crossover.data.config.CrossoverConfig;
import io.crossover.data.read.ValidationSample;
import io.crossover.data.tokenize.ByteTokenizer;
import io.crossover.executor.TestModels;
import io.crossover.executor.allreduce.Collective;
import io.crossover.executor.allreduce.RingAllReduce;
import io.crossover.executor.allreduce.RingAllReduceTestAccess;
import io.crossover.executor.model.Transformer;
import io.crossover.executor.objective.Autoregressive;
import io.crossover.executor.objective.MaskedDiffusion;
import io.crossover.executor.objective.Objective;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Evaluation shared over 3 ranks on a real ring gives exactly what one rank computes alone, and
 * every rank gets the whole result.
 */
class ShardedEvalTest {
  static final CrossoverConfig CONFIG = TestModels.config("eval.batch=2", "eval.mdm-samples=2");
  static final int W = 3;

  static int[][] validation() {
    int[][] sequences = new int[7][24];
    for (int r = 0; r < sequences.length; r++) {
      for (int i = 0; i < 24; i++) {
        sequences[r][i] = (r * 13 + i * 7) % 256;
      }
    }
    return sequences;
  }

  static List<McTasks.Task> tasks() {
    List<McItem> items = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      items.add(
          new McItem("i" + i, "item " + i + " is", List.of(" red", " blue", " green"), i % 3));
    }
    return List.of(new McTasks.Task("colours", items));
  }

  static EvalRecord evaluate(Objective objective, Collective ranks) {
    try (NDManager m = NDManager.newBaseManager();
        Transformer model = new Transformer(CONFIG.model(), 259, 9, m)) {
      return new Evaluator(
              model,
              objective,
              new Evaluator.Data(
                  new ValidationSample(validation(), new int[7]), tasks(), new ByteTokenizer()),
              new Evaluator.Settings(CONFIG.eval(), 24, 5),
              m,
              ranks)
          .evaluate(10, 1000, 500);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdm"})
  void threeRanksGiveWhatOneRankGives(String type) throws Exception {
    Objective objective =
        type.equals("ar") ? new Autoregressive() : new MaskedDiffusion(ByteTokenizer.MASK, 0);
    EvalRecord alone = evaluate(objective, Collective.SINGLE);
    List<ServerSocket> servers = RingAllReduceTestAccess.servers(W);
    ExecutorService pool = Executors.newFixedThreadPool(W);
    try {
      List<Future<EvalRecord>> shared = new ArrayList<>();
      for (int r = 0; r < W; r++) {
        int rank = r;
        shared.add(
            pool.submit(
                () -> {
                  try (RingAllReduce ring = RingAllReduceTestAccess.connect(rank, servers)) {
                    return evaluate(objective, ring);
                  }
                }));
      }
      for (Future<EvalRecord> f : shared) {
        EvalRecord r = f.get(120, TimeUnit.SECONDS);
        assertEquals(alone.valLoss(), r.valLoss(), 1e-6, "validation loss");
        assertEquals(alone.valLossKind(), r.valLossKind());
        assertEquals(alone.tasks(), r.tasks(), "the same items, scored the same way");
      }
    } finally {
      pool.shutdownNow();
      for (ServerSocket s : servers) {
        s.close();
      }
    }
  }
}
