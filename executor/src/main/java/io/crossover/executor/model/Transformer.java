package io.crossover.executor.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import io.crossover.data.config.ModelConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The Llama-style pre-norm decoder shared by both objectives: token embedding, N blocks of
 * [RMSNorm, multi-head attention with QK-norm and RoPE, residual; RMSNorm, SwiGLU, residual], final
 * RMSNorm, output head. No biases; dropout only for the AR control arms. The attention mask (causal
 * or full) is the caller's choice and the only difference between AR and MDM.
 *
 * <p>Parameters live in the model's own manager; everything a forward pass creates lives in the
 * step's manager, so closing that manager after the step frees it all. FP32 only.
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
  private final java.util.Map<Integer, NDArray> causalMasks = new java.util.HashMap<>();

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

  /** A freshly initialised model: normal(0, initStd), residual projections / sqrt(2 layers). */
  public Transformer(ModelConfig config, int vocabSize, long seed, NDManager parent) {
    // libtorch's grad mode is per thread, and DJL turns it off only in the thread that loaded the
    // engine. A model built in another thread (a sweep's next run, a retried Spark task) must not
    // record its in-place initialisation, restores and optimiser updates on leaf tensors.
    ai.djl.pytorch.jni.JniUtils.setGradMode(false);
    this.config = config;
    this.vocabSize = vocabSize;
    this.manager = parent.newSubManager();
    int d = config.dim();
    int f = config.ffnDim();
    double std = config.initStd();
    double residualStd = std / Math.sqrt(2.0 * config.layers());
    Init init = new Init(seed);
    embed =
        add(
            "model.embed_tokens.weight",
            init.normal(manager, std, vocabSize, d),
            false,
            Param.Layout.AS_IS);
    blocks = new Block[config.layers()];
    for (int i = 0; i < config.layers(); i++) {
      String p = "model.layers." + i + ".";
      blocks[i] =
          new Block(
              add(p + "input_layernorm.weight", init.ones(manager, d), false, Param.Layout.AS_IS),
              add(
                  p + "self_attn.q_proj.weight",
                  init.normal(manager, std, d, d),
                  true,
                  Param.Layout.TRANSPOSED),
              add(
                  p + "self_attn.k_proj.weight",
                  init.normal(manager, std, d, d),
                  true,
                  Param.Layout.TRANSPOSED),
              add(
                  p + "self_attn.v_proj.weight",
                  init.normal(manager, std, d, d),
                  true,
                  Param.Layout.TRANSPOSED),
              add(
                  p + "self_attn.o_proj.weight",
                  init.normal(manager, residualStd, d, d),
                  true,
                  Param.Layout.TRANSPOSED),
              add(
                  p + "self_attn.q_norm.weight",
                  init.ones(manager, config.headDim()),
                  false,
                  Param.Layout.AS_IS),
              add(
                  p + "self_attn.k_norm.weight",
                  init.ones(manager, config.headDim()),
                  false,
                  Param.Layout.AS_IS),
              add(
                  p + "post_attention_layernorm.weight",
                  init.ones(manager, d),
                  false,
                  Param.Layout.AS_IS),
              add(
                  p + "mlp.gate_proj.weight",
                  init.normal(manager, std, d, f),
                  true,
                  Param.Layout.TRANSPOSED),
              add(
                  p + "mlp.up_proj.weight",
                  init.normal(manager, std, d, f),
                  true,
                  Param.Layout.TRANSPOSED),
              add(
                  p + "mlp.down_proj.weight",
                  init.normal(manager, residualStd, f, d),
                  true,
                  Param.Layout.TRANSPOSED));
    }
    finalNorm = add("model.norm.weight", init.ones(manager, d), false, Param.Layout.AS_IS);
    head =
        config.tieEmbeddings()
            ? null
            : add(
                "lm_head.weight",
                init.normal(manager, std, d, vocabSize),
                false,
                Param.Layout.TRANSPOSED);
  }

  private NDArray add(String name, NDArray array, boolean decay, Param.Layout layout) {
    array.setRequiresGradient(true);
    params.add(new Param(name, array, decay, layout));
    return array;
  }

  /** Every trainable tensor, in a fixed order (the order of the flat gradient buffer). */
  public List<Param> params() {
    return Collections.unmodifiableList(params);
  }

  public ModelConfig config() {
    return config;
  }

  public int vocabSize() {
    return vocabSize;
  }

  /** Trainable scalars. */
  public long parameterCount() {
    return params.stream().mapToLong(Param::size).sum();
  }

  /**
   * Logits (B, L, V) for int32 tokens (B, L). {@code causal}: position i attends to positions up to
   * i (AR); otherwise to all positions (MDM).
   */
  public NDArray forward(NDManager step, NDArray tokens, boolean causal) {
    return forward(step, tokens, causal, 0);
  }

  /**
   * As {@link #forward(NDManager, NDArray, boolean)}, training with {@code dropout} on the
   * attention weights and on each residual branch (0: none; evaluation never drops out). The masks
   * come from libtorch's generator: seed it first to make them reproducible.
   */
  public NDArray forward(NDManager step, NDArray tokens, boolean causal, double dropout) {
    long batch = tokens.getShape().get(0);
    int length = (int) tokens.getShape().get(1);
    int d = config.dim();
    int heads = config.heads();
    int headDim = config.headDim();
    NDArray x =
        step(
            step,
            embed
                .getNDArrayInternal()
                .embedding(tokens, embed, SparseFormat.DENSE)
                .singletonOrThrow());
    NDArray mask = causal ? causalMask(length) : null;
    NDArray[] rope = rope(step, length);
    for (Block b : blocks) {
      // Attention: pre-norm, per-head QK-norm, rotary positions, softmax(q k^T / sqrt(d_h) + mask)
      // v.
      NDArray h = rmsNorm(x, b.attnNorm);
      NDArray q =
          rmsNorm(h.matMul(b.wq).reshape(batch, length, heads, headDim), b.qNorm)
              .transpose(0, 2, 1, 3);
      NDArray k =
          rmsNorm(h.matMul(b.wk).reshape(batch, length, heads, headDim), b.kNorm)
              .transpose(0, 2, 1, 3);
      NDArray v = h.matMul(b.wv).reshape(batch, length, heads, headDim).transpose(0, 2, 1, 3);
      // Scaling q (B,H,L,d_h) is cheaper than scaling the scores (B,H,L,L). The factor is a
      // tensor the model owns: DJL's mul(Number) wraps a Java direct buffer that dies with the
      // call, while autograd keeps the factor for backward (a GC then corrupts the gradients).
      q = rotate(q, rope[0], rope[1]).mul(attentionScale(headDim));
      k = rotate(k, rope[0], rope[1]);
      NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
      if (mask != null) {
        scores = scores.add(mask);
      }
      NDArray attended =
          drop(scores.softmax(-1), dropout)
              .matMul(v)
              .transpose(0, 2, 1, 3)
              .reshape(batch, length, d);
      x = x.add(drop(attended.matMul(b.wo), dropout));
      // MLP: SwiGLU, silu(h W_gate) * (h W_up) W_down.
      h = rmsNorm(x, b.mlpNorm);
      NDArray gate = h.matMul(b.wGate);
      x =
          x.add(
              drop(
                  gate.mul(Activation.sigmoid(gate)).mul(h.matMul(b.wUp)).matMul(b.wDown),
                  dropout));
    }
    x = rmsNorm(x, finalNorm);
    return x.matMul(head != null ? head : step(step, embed.transpose()));
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

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray rms = x.square().mean(new int[] {-1}, true).add((float) config.normEps()).sqrt();
    return x.div(rms).mul(weight);
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
