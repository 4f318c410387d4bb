package io.crossover.executor.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import io.crossover.data.config.ModelConfig;
import io.crossover.data.config.TrainConfig;
import io.crossover.executor.precision.Autocast;
import io.crossover.executor.precision.Precision;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The Llama-style pre-norm decoder shared by both objectives: token embedding, N blocks of
 * [RMSNorm, multi-head attention with QK-norm and RoPE, residual; RMSNorm, SwiGLU, residual], final
 * RMSNorm, output head. No biases; dropout only for the AR control arms. The attention mask (causal
 * or full) is the caller's choice and the only difference between AR and MDM.
 *
 * <p>Parameters live in the model's own manager; everything a forward pass creates lives in the
 * step's manager (or its sub-managers, with {@link Segments}), so closing that manager after the
 * step frees it all. Parameters, their gradients and every tensor DJL is asked the type of are
 * FP32; in bf16 ({@link Numerics}) the matrix products and attention compute in bf16 under
 * libtorch's autocast.
 */
public final class Transformer implements AutoCloseable {
  private final ModelConfig config;
  private final int vocabSize;
  private final NDManager manager;
  private final List<Param> params = new ArrayList<>();
  private final NDArray embed;
  private final NDArray head;
  private final NDArray finalNorm;
  private final Block[] blocks;
  private NDArray ropeCos;
  private NDArray ropeSin;
  private int ropeLength;
  private NDArray scale;
  private final Map<Integer, NDArray> causalMasks = new HashMap<>();
  private final List<Integer> segments = new ArrayList<>();
  private final Numerics numerics;
  private final Map<String, FusedAttention> fused = new HashMap<>();
  private final Map<String, MaterializedAttention> materialized = new HashMap<>();
  private Script productScript;
  private Script mlpScript;
  private Script normScript;

  private record Block(
      NDArray attnNorm,
      NDArray wq,
      NDArray wk,
      NDArray wv,
      NDArray wo,
      NDArray qNorm,
      NDArray kNorm,
      NDArray mlpNorm,
      NDArray wGate,
      NDArray wUp,
      NDArray wDown) {}

  /** A freshly initialised model with fused attention, trained and evaluated in FP32. */
  public Transformer(ModelConfig config, int vocabSize, long seed, NDManager parent) {
    this(config, vocabSize, seed, parent, Numerics.DEFAULT);
  }

  /** A freshly initialised model: normal(0, initStd), residual projections / sqrt(2 layers). */
  public Transformer(
      ModelConfig config, int vocabSize, long seed, NDManager parent, Numerics numerics) {
    // libtorch's grad mode is per thread, and DJL turns it off only in the thread that loaded the
    // engine. A model built in another thread (a sweep's next run, a retried Spark task) must not
    // record its in-place initialisation, restores and optimiser updates on leaf tensors.
    JniUtils.setGradMode(false);
    this.config = config;
    this.vocabSize = vocabSize;
    this.numerics = numerics;
    this.manager = parent.newSubManager();
    double std = config.initStd();
    double residualStd = std / Math.sqrt(2.0 * config.layers());
    Init init = new Init(seed);
    List<NDArray> arrays = new ArrayList<>();
    for (ParamLayout.Spec spec : ParamLayout.of(config, vocabSize)) {
      long[] dims = spec.shape();
      NDArray array =
          switch (spec.init()) {
            case ONES -> init.ones(manager, dims[0]);
            case NORMAL -> init.normal(manager, std, dims[0], dims[1]);
            case RESIDUAL -> init.normal(manager, residualStd, dims[0], dims[1]);
          };
      array.setRequiresGradient(true);
      params.add(new Param(spec.name(), array, spec.decay(), spec.layout()));
      segments.add(spec.segment());
      arrays.add(array);
    }
    int at = 0;
    embed = arrays.get(at++);
    blocks = new Block[config.layers()];
    for (int i = 0; i < config.layers(); i++) {
      blocks[i] =
          new Block(
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++),
              arrays.get(at++));
    }
    finalNorm = arrays.get(at++);
    head = config.tieEmbeddings() ? null : arrays.get(at);
  }

  /** Every trainable tensor, in a fixed order (the order of the flat gradient buffer). */
  public List<Param> params() {
    return Collections.unmodifiableList(params);
  }

  /**
   * The backward segment of each parameter, in {@link #params()} order: 0 the embedding, 1..N the
   * blocks, N + 1 the final norm and head (see {@link ParamLayout}).
   */
  public List<Integer> segments() {
    return Collections.unmodifiableList(segments);
  }

  public ModelConfig config() {
    return config;
  }

  public Numerics numerics() {
    return numerics;
  }

  public int vocabSize() {
    return vocabSize;
  }

  /** Trainable scalars. */
  public long parameterCount() {
    return params.stream().mapToLong(Param::size).sum();
  }

  /**
   * Evaluation logits (B, L, V), FP32, for int32 tokens (B, L), in the evaluation precision. {@code
   * causal}: position i attends to positions up to i (AR); otherwise to all positions (MDM).
   */
  public NDArray forward(NDManager step, NDArray tokens, boolean causal) {
    return forward(step, tokens, new Pass(causal, 0, numerics.eval(), null));
  }

  /**
   * Training logits, in the training precision, with {@code dropout} on the attention weights and
   * on each residual branch (0: none). The masks come from libtorch's generator: seed it first to
   * make them reproducible.
   */
  public NDArray forward(NDManager step, NDArray tokens, boolean causal, double dropout) {
    return forward(step, tokens, new Pass(causal, dropout, numerics.train(), null));
  }

  /**
   * How one forward pass runs: {@code causal} attention (AR) or bidirectional (MDM), {@code
   * dropout} on the attention weights and each residual branch (0: none), the matrix products'
   * {@code precision}, and optional {@code cuts} between segments (embedding, each block, head) so
   * that {@link Segments#backward} can finish the gradients of the top layers first. With cuts, the
   * logits (and what is computed from them, the loss) live in the cuts' top scope, which their
   * backward closes: read them before.
   */
  public record Pass(boolean causal, double dropout, Precision precision, Segments cuts) {}

  /** The forward pass of {@code tokens} (B, L) as {@code pass} says; logits (B, L, V), FP32. */
  public NDArray forward(NDManager step, NDArray tokens, Pass pass) {
    // Autocast is on only for this forward pass (closed in finally, also on an exception):
    // backward runs outside it, in the types the forward recorded.
    try (Autocast region = Autocast.open(manager.getDevice(), pass.precision())) {
      Script.useInterpreter();
      return layers(step, tokens, pass);
    }
  }

  private NDArray layers(NDManager step, NDArray tokens, Pass pass) {
    Precision precision = pass.precision();
    Segments cuts = pass.cuts();
    int length = (int) tokens.getShape().get(1);
    NDArray x =
        step(
            step,
            embed
                .getNDArrayInternal()
                .embedding(tokens, embed, SparseFormat.DENSE)
                .singletonOrThrow());
    x = cut(cuts, x);
    NDArray[] rope = rope(step, length);
    for (Block b : blocks) {
      if (cuts == null) {
        x = block(b, x, rope, pass);
      } else if (numerics.recompute()) {
        // Activation recomputation: only the block's input is kept; backward runs it again.
        x = cuts.cutRecomputed(x, in -> block(b, in, rope, pass), manager.getDevice(), precision);
      } else {
        x = cuts.cut(x, in -> block(b, in, rope, pass));
      }
    }
    return cuts == null ? head(x, precision) : cuts.top(x, in -> head(in, precision));
  }

  /** Final norm and output head: logits (B, L, V) in the manager of {@code x}. */
  private NDArray head(NDArray x, Precision precision) {
    NDArray normed = rmsNorm(x, finalNorm);
    return product(
        normed, head != null ? head : step(x.getManager(), embed.transpose()), precision);
  }

  /** One decoder block on the residual stream {@code x} (B, L, d); the new residual stream. */
  private NDArray block(Block b, NDArray x, NDArray[] rope, Pass pass) {
    long batch = x.getShape().get(0);
    int length = (int) x.getShape().get(1);
    int d = config.dim();
    int heads = config.heads();
    int kvHeads = config.kvHeads();
    int headDim = config.headDim();
    Precision precision = pass.precision();
    double dropout = pass.dropout();
    // Attention: pre-norm, per-head QK-norm (FP32), rotary positions, softmax(q k^T / sqrt(d_h)
    // [+ causal mask]) v.
    NDArray h = rmsNorm(x, b.attnNorm);
    NDArray q =
        rmsNorm(product(h, b.wq, precision).reshape(batch, length, heads, headDim), b.qNorm)
            .transpose(0, 2, 1, 3);
    NDArray k =
        rmsNorm(product(h, b.wk, precision).reshape(batch, length, kvHeads, headDim), b.kNorm)
            .transpose(0, 2, 1, 3);
    NDArray v =
        product(h, b.wv, precision).reshape(batch, length, kvHeads, headDim).transpose(0, 2, 1, 3);
    q = rotate(q, rope[0], rope[1]);
    k = rotate(k, rope[0], rope[1]);
    if (kvHeads < heads) {
      // Grouped-query attention: key/value head j serves query heads j*g .. j*g+g-1 (as Hugging
      // Face's repeat_kv), for both kernels; with kv-heads = heads nothing changes.
      k = k.repeat(1, heads / kvHeads);
      v = v.repeat(1, heads / kvHeads);
    }
    NDArray attended = attention(q, k, v, pass).transpose(0, 2, 1, 3).reshape(batch, length, d);
    // The residual stream stays FP32: adding a bf16 branch to it promotes.
    x = x.add(drop(product(attended, b.wo, precision), dropout));
    // MLP: SwiGLU, silu(h W_gate) * (h W_up) W_down, elementwise in the products' precision.
    h = rmsNorm(x, b.mlpNorm);
    x = x.add(drop(mlp(h, b, precision), dropout));
    return x;
  }

  private static NDArray cut(Segments cuts, NDArray x) {
    return cuts == null ? x : cuts.cut(x);
  }

  /** Attention over (B, H, L, d_h) FP32 tensors; FP32 out. */
  private NDArray attention(NDArray q, NDArray k, NDArray v, Pass pass) {
    boolean causal = pass.causal();
    double dropout = pass.dropout();
    Precision precision = pass.precision();
    int length = (int) q.getShape().get(2);
    boolean gpu = manager.getDevice().isGpu();
    if (numerics.kernel(gpu, precision, length, causal) == TrainConfig.Attention.FUSED) {
      if (precision == Precision.BF16 && !gpu) {
        // On CPUs libtorch's FP32 flash kernel is faster than its bf16 one (bench step, small:
        // L = 256 and 2048 with libtorch 2.5.1; L = 256 again with 2.7.1, 0.94-0.97x), so
        // attention stays FP32 there; on GPUs the bf16 kernels are the fast ones.
        try (Autocast.Suspended fp32 = Autocast.suspend(manager.getDevice())) {
          return fused(causal, dropout, Precision.FP32).apply(q, k, v);
        }
      }
      return fused(causal, dropout, precision).apply(q, k, v);
    }
    // Scores materialised. Scaling q (B,H,L,d_h) is cheaper than scaling the scores (B,H,L,L).
    // The factor is a tensor the model owns: DJL's mul(Number) wraps a Java direct buffer that
    // dies with the call, while autograd keeps the factor for backward.
    NDArray scaled = q.mul(attentionScale(config.headDim()));
    if (precision == Precision.BF16) {
      return materialized(causal, dropout).apply(scaled, k, v, causal ? causalMask(length) : null);
    }
    // The FP32 reference.
    NDArray scores = scaled.matMul(k.transpose(0, 1, 3, 2));
    if (causal) {
      scores = scores.add(causalMask(length));
    }
    return drop(scores.softmax(-1), dropout).matMul(v);
  }

  private MaterializedAttention materialized(boolean causal, double dropout) {
    return materialized.computeIfAbsent(
        causal + "/" + dropout, key -> MaterializedAttention.load(manager, causal, dropout));
  }

  private FusedAttention fused(boolean causal, double dropout, Precision precision) {
    return fused.computeIfAbsent(
        causal + "/" + dropout + "/" + precision,
        key -> FusedAttention.load(manager, causal, dropout, precision));
  }

  /**
   * a b, FP32 out. In bf16 the product runs inside a {@link Script} under the autocast region (bf16
   * operands, the weights' casts cached for the pass) and is cast back there, so that DJL never
   * sees the bf16 tensor; a vectorised cast, where a mixed-type op in DJL would take libtorch's
   * slow promoting loop.
   */
  private NDArray product(NDArray a, NDArray b, Precision precision) {
    if (precision == Precision.FP32) {
      return a.matMul(b);
    }
    if (productScript == null) {
      productScript =
          Script.load(
              manager, "Product", "a, b", "torch.to(torch.matmul(a, b), " + Script.FLOAT32 + ")");
    }
    return productScript.apply(a, b);
  }

  /** SwiGLU: silu(h W_gate) * (h W_up) W_down; in bf16 one {@link Script}, all bf16 inside. */
  private NDArray mlp(NDArray h, Block b, Precision precision) {
    if (precision == Precision.FP32) {
      NDArray gate = h.matMul(b.wGate);
      return gate.mul(Activation.sigmoid(gate)).mul(h.matMul(b.wUp)).matMul(b.wDown);
    }
    if (mlpScript == null) {
      mlpScript =
          Script.load(
              manager,
              "Mlp",
              "h, gate, up, down",
              "torch.to(torch.matmul(torch.mul(torch.silu(torch.matmul(h, gate)),"
                  + " torch.matmul(h, up)), down), "
                  + Script.FLOAT32
                  + ")");
    }
    return mlpScript.apply(h, b.wGate, b.wUp, b.wDown);
  }

  /** Inverted dropout (kept values scaled by 1/(1-p)), by libtorch, with autograd. */
  private static NDArray drop(NDArray x, double p) {
    return p > 0 ? x.getNDArrayInternal().dropout(x, (float) p, true).singletonOrThrow() : x;
  }

  /** Results of ops whose first operand is a parameter land in the model's manager: move them. */
  private static NDArray step(NDManager step, NDArray a) {
    a.attach(step);
    return a;
  }

  /**
   * x / sqrt(mean(x^2) + eps) * weight over the last axis, FP32, as libtorch's {@code rms_norm} (x
   * * rsqrt(...)): one module call instead of six DJL ops, and in backward a product where a
   * quotient's gradient took a division, a negation and another division (bench step --profile,
   * {@code small}: 7% of a bf16 step).
   */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    if (normScript == null) {
      normScript =
          Script.load(
              manager,
              "RmsNorm",
              "x, weight",
              "torch.rms_norm(x, [torch.size(x, -1)], weight, " + config.normEps() + ")");
    }
    return normScript.apply(x, weight);
  }

  private NDArray attentionScale(int headDim) {
    if (scale == null) {
      try (NDArray hostBacked = manager.create(new float[] {(float) (1.0 / Math.sqrt(headDim))})) {
        scale = hostBacked.duplicate(); // memory libtorch allocated, owned by the model
      }
    }
    return scale;
  }

  /** The additive causal mask (L, L), built once per length: it is a constant of the model. */
  private NDArray causalMask(int length) {
    return causalMasks.computeIfAbsent(
        length,
        l -> {
          float[] mask = new float[l * l];
          for (int i = 0; i < l; i++) {
            for (int j = i + 1; j < l; j++) {
              mask[i * l + j] = -1e9f;
            }
          }
          return manager.create(mask, new Shape(l, l));
        });
  }

  /** cos and sin tables (L, headDim/2) for the first {@code length} positions. */
  private NDArray[] rope(NDManager step, int length) {
    if (length > ropeLength) {
      int half = config.headDim() / 2;
      float[] cos = new float[length * half];
      float[] sin = new float[length * half];
      for (int pos = 0; pos < length; pos++) {
        for (int i = 0; i < half; i++) {
          double angle = pos / Math.pow(config.ropeBase(), 2.0 * i / config.headDim());
          cos[pos * half + i] = (float) Math.cos(angle);
          sin[pos * half + i] = (float) Math.sin(angle);
        }
      }
      if (ropeCos != null) {
        ropeCos.close();
        ropeSin.close();
      }
      ropeCos = manager.create(cos, new Shape(length, half));
      ropeSin = manager.create(sin, new Shape(length, half));
      ropeLength = length;
    }
    NDIndex first = new NDIndex(":{}", length);
    return new NDArray[] {step(step, ropeCos.get(first)), step(step, ropeSin.get(first))};
  }

  /** RoPE in the Llama layout: the two halves of a head are the pairs that rotate together. */
  private static NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
    long half = x.getShape().get(3) / 2;
    NDArray x1 = x.get(new NDIndex("..., :{}", half));
    NDArray x2 = x.get(new NDIndex("..., {}:", half));
    return x1.mul(cos).sub(x2.mul(sin)).concat(x2.mul(cos).add(x1.mul(sin)), -1);
  }

  @Override
  public void close() {
    fused.values().forEach(FusedAttention::close);
    materialized.values().forEach(MaterializedAttention::close);
    if (productScript != null) {
      productScript.close();
    }
    if (mlpScript != null) {
      mlpScript.close();
    }
    if (normScript != null) {
      normScript.close();
    }
    manager.close();
  }

  /** Seeded host-side init: identical on every rank and independent of libtorch's RNG. */
  private static final class Init {
    private final SplittableRandom random;

    Init(long seed) {
      random = new SplittableRandom(seed);
    }

    NDArray normal(NDManager m, double std, long rows, long cols) {
      float[] values = new float[Math.toIntExact(rows * cols)];
      for (int i = 0; i < values.length; i += 2) {
        // Box-Muller: two independent normals per pair of uniforms.
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        double r = Math.sqrt(-2 * Math.log(u1)) * std;
        values[i] = (float) (r * Math.cos(2 * Math.PI * u2));
        if (i + 1 < values.length) {
          values[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
        }
      }
      return m.create(values, new Shape(rows, cols));
    }

    NDArray ones(NDManager m, long n) {
      return m.ones(new Shape(n), DataType.FLOAT32);
    }
  }
}
