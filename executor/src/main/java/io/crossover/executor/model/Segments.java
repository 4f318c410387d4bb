package io.crossover.executor.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.crossover.executor.precision.Autocast;
import io.crossover.executor.precision.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;

/**
 * A forward pass cut between its segments (embedding, each block, head), so that backward can run
 * segment by segment from the top: after each one, that segment's parameter gradients are final
 * while the layers below are still to come. That is the moment a data-parallel rank can start
 * all-reducing them. The gradients are those of one backward over the whole graph.
 */
public final class Segments {
  /**
   * A cut: the segment's output in its graph (null when it is recomputed), the leaf the next
   * segment starts from, and for a recomputed segment its input leaf and how to compute it again.
   */
  private record Cut(
      NDArray output,
      NDArray leaf,
      NDArray input,
      UnaryOperator<NDArray> segment,
      Device device,
      Precision precision) {}

  private final List<Cut> cuts = new ArrayList<>();

  /** Detaches {@code output} into a leaf that requires a gradient, and remembers both. */
  NDArray cut(NDArray output) {
    NDArray leaf = output.stopGradient();
    leaf.setRequiresGradient(true);
    cuts.add(new Cut(output, leaf, null, null, null, null));
    return leaf;
  }

  /**
   * Runs {@code segment} on {@code input} (the previous cut's leaf) without recording a graph, its
   * intermediate tensors freed at once, and returns its output as the next leaf; {@link #backward}
   * runs the segment again, in the same autocast region, and backward through it. The recorded
   * operations are those of a kept segment on the same input, so the gradients are bitwise the
   * same.
   */
  NDArray cutRecomputed(
      NDArray input, UnaryOperator<NDArray> segment, Device device, Precision precision) {
    NDManager keep = input.getManager();
    NDArray output;
    boolean grad = JniUtils.isGradMode();
    try (NDManager scratch = keep.newSubManager()) {
      input.tempAttach(scratch);
      JniUtils.setGradMode(false);
      try {
        output = segment.apply(input);
      } finally {
        JniUtils.setGradMode(grad);
      }
      output.attach(keep);
    }
    output.setRequiresGradient(true);
    cuts.add(new Cut(null, output, input, segment, device, precision));
    return output;
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
      Cut cut = cuts.get(i);
      NDArray upstream = cut.leaf().getGradient();
      if (cut.segment() == null) {
        upstream.attach(cut.output().getManager());
        JniUtils.backward((PtNDArray) cut.output(), (PtNDArray) upstream, false, false);
      } else {
        // The segment's activations live only while its own backward runs.
        try (NDManager scratch = cut.input().getManager().newSubManager()) {
          cut.input().tempAttach(scratch);
          upstream.attach(scratch);
          NDArray output;
          try (Autocast region = Autocast.open(cut.device(), cut.precision())) {
            output = cut.segment().apply(cut.input());
          }
          JniUtils.backward((PtNDArray) output, (PtNDArray) upstream, false, false);
        }
      }
      done.accept(i);
    }
  }
}
