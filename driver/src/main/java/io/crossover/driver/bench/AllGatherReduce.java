package io.crossover.driver.bench;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The baseline {@code bench allreduce} compares the ring with: each task of a barrier stage
 * publishes its buffer through {@code BarrierTaskContext.allGather} and sums what it receives.
 * Returns the mean seconds per reduction, measured in the task (as text: Kryo knows strings).
 */
public final class AllGatherReduce extends AbstractFunction1<Iterator<Integer>, Iterator<String>>
    implements Serializable {
  private static final long serialVersionUID = 1L;
  private final int floats;
  private final int repeats;

  AllGatherReduce(int floats, int repeats) {
    this.floats = floats;
    this.repeats = repeats;
  }

  @Override
  public Iterator<String> apply(Iterator<Integer> ignored) {
    BarrierTaskContext ctx = BarrierTaskContext.get();
    float[] buffer = new float[floats];
    ByteBuffer bytes = ByteBuffer.allocate(floats * 4).order(ByteOrder.LITTLE_ENDIAN);
    long start = System.nanoTime();
    for (int r = 0; r < repeats; r++) {
      bytes.clear();
      bytes.asFloatBuffer().put(buffer);
      String[] all = ctx.allGather(Base64.getEncoder().encodeToString(bytes.array()));
      float[] sum = new float[floats];
      for (String other : all) {
        ByteBuffer in =
            ByteBuffer.wrap(Base64.getDecoder().decode(other)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < floats; i++) {
          sum[i] += in.getFloat(i * 4);
        }
      }
      buffer = sum;
    }
    double seconds = (System.nanoTime() - start) / 1e9 / repeats;
    return CollectionConverters.asScala(List.of(Double.toString(seconds)).iterator());
  }
}
