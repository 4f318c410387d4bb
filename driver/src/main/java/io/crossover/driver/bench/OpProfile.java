package io.crossover.driver.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossover.data.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where one training step's time went, from libtorch's own profiler: the self time of every op (its
 * time less that of the ops it called), forward and backward alike, summed by op and by what the op
 * is for. A bf16 step that is not twice as fast as FP32 shows here which work did not shrink.
 */
public final class OpProfile {
  /** What an op is for, in table order. */
  public enum Group {
    PRODUCTS("matrix products (mm, bmm)"),
    ATTENTION("attention kernels, softmax"),
    CASTS("bf16 <-> FP32 casts"),
    ELEMENTWISE("norms, rotary, residual, SwiGLU"),
    LOSS("embedding, loss"),
    OPTIMIZER("clip, AdamW"),
    OTHER("views, copies, allocation, autograd");

    private final String label;

    Group(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** The name a tensor copy gets when it is the body of a dtype conversion. */
  static final String CAST = "aten::copy_ (cast)";

  private final Map<Group, Double> groups;
  private final Map<String, Double> ops;

  private OpProfile(Map<Group, Double> groups, Map<String, Double> ops) {
    this.groups = groups;
    this.ops = ops;
  }

  /**
   * The profile of a step whose forward and backward pass libtorch traced to {@code pass} and whose
   * clipping and optimiser update it traced to {@code update} (Chrome trace files).
   */
  public static OpProfile of(Path pass, Path update) {
    Map<Group, Double> groups = new EnumMap<>(Group.class);
    for (Group g : Group.values()) {
      groups.put(g, 0.0);
    }
    Map<String, Double> ops = new LinkedHashMap<>();
    selfSeconds(pass)
        .forEach(
            (name, s) -> {
              groups.merge(group(name), s, Double::sum);
              ops.merge(name, s, Double::sum);
            });
    selfSeconds(update)
        .forEach(
            (name, s) -> {
              groups.merge(Group.OPTIMIZER, s, Double::sum);
              ops.merge(name, s, Double::sum);
            });
    return new OpProfile(groups, ops);
  }

  /** Seconds by group. */
  public Map<Group, Double> groups() {
    return groups;
  }

  /** Every op's seconds, most first. */
  public List<Map.Entry<String, Double>> ops() {
    List<Map.Entry<String, Double>> out = new ArrayList<>(ops.entrySet());
    out.sort(Map.Entry.<String, Double>comparingByValue().reversed());
    return out;
  }

  /** Seconds of all ops. */
  public double total() {
    return groups.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  /** The group of a forward or backward op by its name in libtorch's trace. */
  static Group group(String name) {
    String op = name.startsWith("aten::") ? name.substring(6) : name;
    if (name.equals(CAST) || op.equals("_to_copy") || op.equals("to")) {
      return Group.CASTS;
    }
    if (op.equals("mm") || op.equals("bmm") || op.equals("addmm") || op.equals("matmul")) {
      return Group.PRODUCTS;
    }
    if (op.contains("scaled_dot_product") || op.contains("flash_attention")) {
      return Group.ATTENTION;
    }
    if (op.contains("log_softmax") || op.contains("nll_loss") || op.contains("embedding")) {
      return Group.LOSS;
    }
    if (op.contains("softmax")) {
      return Group.ATTENTION;
    }
    if (op.equals("index_select") || op.equals("gather") || op.contains("scatter")) {
      return Group.LOSS;
    }
    if (!name.startsWith("aten::") || VIEWS.contains(op)) {
      // Autograd's node bodies, script modules' frames, and ops that move no data.
      return Group.OTHER;
    }
    return Group.ELEMENTWISE;
  }

  private static final List<String> VIEWS =
      List.of(
          "view",
          "reshape",
          "_reshape_alias",
          "as_strided",
          "select",
          "slice",
          "transpose",
          "permute",
          "expand",
          "unsqueeze",
          "squeeze",
          "t",
          "empty",
          "empty_strided",
          "empty_like",
          "zeros",
          "zeros_like",
          "zero_",
          "fill_",
          "detach",
          "alias",
          "_unsafe_view",
          "unbind",
          "split",
          "narrow",
          "contiguous",
          "clone",
          "copy_",
          "resize_",
          "ones_like",
          "lift_fresh",
          "result_type",
          "resolve_conj",
          "resolve_neg",
          "item",
          "_local_scalar_dense");

  /**
   * Self seconds per op name in a Chrome trace of libtorch's profiler: each complete event's
   * duration less those of the events it encloses on its thread; a copy that a dtype conversion
   * encloses is counted as {@link #CAST}.
   */
  static Map<String, Double> selfSeconds(Path trace) {
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(trace.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the profiler's trace " + trace, e);
    }
    Map<String, List<Event>> threads = new LinkedHashMap<>();
    for (JsonNode e : root) {
      if ("X".equals(e.path("ph").asText())) {
        threads
            .computeIfAbsent(e.path("tid").asText(), k -> new ArrayList<>())
            .add(
                new Event(
                    e.path("name").asText(), e.path("ts").asDouble(), e.path("dur").asDouble()));
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    for (List<Event> events : threads.values()) {
      // Parents first: by start, and at equal starts the longer one.
      events.sort(Comparator.comparingDouble(Event::start).thenComparing(e -> -e.micros));
      Deque<Event> open = new ArrayDeque<>();
      for (Event e : events) {
        while (!open.isEmpty() && open.peek().end() <= e.start + 1e-3) {
          open.pop();
        }
        Event parent = open.peek();
        if (parent != null) {
          parent.self -= e.micros;
          if (e.name.equals("aten::copy_") && parent.name.equals("aten::_to_copy")) {
            e.name = CAST;
          }
        }
        open.push(e);
      }
      for (Event e : events) {
        out.merge(e.name, Math.max(0, e.self) / 1e6, Double::sum);
      }
    }
    return out;
  }

  /** A complete event of the trace (microseconds). */
  private static final class Event {
    String name;
    final double start;
    final double micros;
    double self;

    Event(String name, double start, double micros) {
      this.name = name;
      this.start = start;
      this.micros = micros;
      this.self = micros;
    }

    double start() {
      return start;
    }

    double end() {
      return start + micros;
    }
  }
}
