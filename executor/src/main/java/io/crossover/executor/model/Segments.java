package io.crossover.executor.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A forward pass cut between its segments (embedding, each block, head), so that backward can run
 * segment by segment from the top: after each one, that segment's parameter gradients are final
 * while the layers below are still to come. That is the moment a data-parallel rank can start
 * all-reducing them. The gradients are those of one backward over the whole graph.
 */
public final class Segments {
  /** Per cut: the segment's output (in its graph) and the leaf the next segment starts from. */
  private final List<NDArray[]> cuts = new ArrayList<>();

  /** Detaches {@code output} into a leaf that requires a gradient, and remembers both. */
  NDArray cut(NDArray output) {
    NDArray leaf = output.stopGradient();
    leaf.setRequiresGradient(true);
    cuts.add(new NDArray[] {output, leaf});
    return leaf;
  }

  /** The number of segments: one per cut, plus the top. */
  public int count() {
    return cuts.size() + 1;
  }

  /**
   * Backward from {@code loss} (a scalar), segment by segment from the top; {@code done} receives
   * each segment's index (top = {@code count() - 1}, embedding = 0) as soon as its gradients are
   * final.
   */
  public void backward(NDArray loss, IntConsumer done) {
    NDArray seed = loss.getManager().ones(loss.getShape());
    JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
    done.accept(cuts.size());
    for (int i = cuts.size() - 1; i >= 0; i--) {
      NDArray output = cuts.get(i)[0];
      NDArray upstream = cuts.get(i)[1].getGradient();
      upstream.attach(output.getManager());
      JniUtils.backward((PtNDArray) output, (PtNDArray) upstream, false, false);
      done.accept(i);
    }
  }
}
