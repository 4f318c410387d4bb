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
 *
 * <p>Each segment runs in its own scope: the handles of its intermediate tensors are closed as soon
 * as it has run, so that only the graph holds what backward needs, and backward frees those
 * activations node by node. Once a segment's backward has run, its graph is closed too, the top's
 * (logits and loss) included; nothing then holds the parameters' old tensors that {@link
 * Param#dropGradient} replaced, and their gradients are freed during backward.
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
  private NDManager top;

  /**
   * Runs {@code segment} on {@code input} (the previous cut's leaf) with its intermediate tensors
   * in a scope closed once it has run, and cuts its output.
   */
  NDArray cut(NDArray input, UnaryOperator<NDArray> segment) {
    return cut(scoped(input, segment));
  }

  /**
   * {@code segment} applied to {@code input} with its intermediate tensors in a scope closed once
   * it has run; the output goes to {@code input}'s manager.
   */
  private static NDArray scoped(NDArray input, UnaryOperator<NDArray> segment) {
    NDManager keep = input.getManager();
    try (NDManager scope = keep.newSubManager()) {
      input.tempAttach(scope);
      NDArray output = segment.apply(input);
      output.attach(keep);
      return output;
    }
  }

  /**
   * Runs the top segment ({@code head}, from the last cut's leaf to the logits) in a scope that
   * stays open: the loss computed from the logits lands in it, and {@link #backward} closes it once
   * the top's backward has run.
   */
  NDArray top(NDArray input, UnaryOperator<NDArray> head) {
    top = input.getManager().newSubManager();
    input.tempAttach(top);
    return head.apply(input);
  }

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
    boolean grad = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    NDArray output;
    try {
      output = scoped(input, segment);
    } finally {
      JniUtils.setGradMode(grad);
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
   * final. Each segment's graph is closed after {@code done} has seen it: the logits and the loss,
   * when they came from {@link #top}, are closed then too.
   */
  public void backward(NDArray loss, IntConsumer done) {
    NDArray seed = loss.getManager().ones(loss.getShape());
    JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
    seed.close();
    done.accept(cuts.size());
    if (top != null) {
      top.close();
      top = null;
    }
    for (int i = cuts.size() - 1; i >= 0; i--) {
      Cut cut = cuts.get(i);
      NDArray upstream = cut.leaf().getGradient();
      if (cut.segment() == null) {
        upstream.attach(cut.output().getManager());
        JniUtils.backward((PtNDArray) cut.output(), (PtNDArray) upstream, false, false);
        upstream.close();
        done.accept(i);
        cut.output().close();
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
        done.accept(i);
      }
      // The leaf's gradient (an activation's size) was the segment's upstream.
      cut.leaf().close();
    }
  }
}
