package io.crossover.executor.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crossover.data.config.CrossoverConfig;
import io.crossover.executor.TestModels;
import io.crossover.executor.model.ModelSize;
import io.crossover.executor.model.ParamLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bucket plan of the paper's 1B shape, from its shape alone: nothing is allocated. */
class BucketPlanTest {
  @Test
  void theOneBillionPlanHasNoBucketOverTheLimitAndCoversEveryGradientOnce() {
    CrossoverConfig c = TestModels.config("model.preset=1b");
    int vocab = 50_304;
    for (long bucketBytes : new long[] {4096, 25L << 20, 1L << 30}) {
      List<ParamLayout.Spec> layout = ParamLayout.of(c.model(), vocab);
      BucketPlan plan = BucketPlan.of(layout, bucketBytes);
      long parameters = ModelSize.parameters(c.model(), vocab);
      assertEquals(parameters, plan.parameters());
      assertTrue(plan.largestBytes() <= bucketBytes, "largest " + plan.largestBytes());
      long[] covered = new long[layout.size()];
      long next = 0;
      int lastReady = Integer.MAX_VALUE;
      for (BucketPlan.Bucket b : plan.buckets()) {
        assertEquals(next, b.globalFrom(), "buckets are contiguous");
        next += b.length();
        assertTrue(b.readyAfter() <= lastReady, "buckets leave in backward order");
        lastReady = b.readyAfter();
        for (BucketPlan.Piece p : b.pieces()) {
          assertEquals(covered[p.param()], p.from(), "pieces of a parameter in order");
          covered[p.param()] += p.length();
        }
      }
      assertEquals(parameters + BucketPlan.TRAILER, next);
      for (int i = 0; i < layout.size(); i++) {
        assertEquals(layout.get(i).size(), covered[i], layout.get(i).name());
      }
      BucketPlan.Bucket last = plan.buckets().get(plan.buckets().size() - 1);
      assertTrue(last.hasTrailer(plan));
      assertEquals(0, last.readyAfter(), "the trailer waits for the whole backward");
      int first = plan.buckets().get(0).pieces().get(0).param();
      assertEquals(
          c.model().layers() + 1,
          layout.get(first).segment(),
          "the top segment's gradients go first");
    }
  }
}
