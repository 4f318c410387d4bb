package io.crossover.executor.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A libtorch op (or a few) that DJL 0.33 has no call for, as a TorchScript module this class writes
 * in memory (a TorchScript file is a zip of text and a pickle) and DJL loads and runs with
 * autograd. Inputs and outputs are FP32 tensors: DJL must never be asked the type of a bf16 tensor
 * (it aborts the JVM), so any bf16 value lives and dies inside the module.
 */
final class Script implements AutoCloseable {
  /** torch.ScalarType codes as TorchScript's serialized code writes them. */
  static final int FLOAT32 = 6;

  static final int BFLOAT16 = 15;

  private final PtSymbolBlock module;

  private Script(PtSymbolBlock module) {
    this.module = module;
  }

  /**
   * Loads a module of class {@code name} whose {@code forward} takes {@code arguments} (Tensor
   * names) and returns {@code body} (one TorchScript expression); owned by {@code manager}.
   */
  static Script load(NDManager manager, String name, String arguments, String body) {
    StringBuilder code = new StringBuilder();
    code.append("class ")
        .append(name)
        .append("(Module):\n")
        .append("  __parameters__ = []\n")
        .append("  __buffers__ = []\n")
        .append("  training : bool\n")
        .append("  _is_full_backward_hook : Optional[bool]\n")
        .append("  def forward(self: __torch__.")
        .append(name);
    for (String a : arguments.split(",\\s*")) {
      code.append(",\n    ").append(a).append(": Tensor");
    }
    code.append(") -> Tensor:\n    return ").append(body).append("\n");
    byte[] archive = archive(name, code.toString());
    try {
      return new Script(
          JniUtils.loadModule(
              (PtNDManager) manager, new ByteArrayInputStream(archive), true, false));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the TorchScript module " + name, e);
    } catch (RuntimeException e) {
      throw new IllegalStateException("libtorch rejected the module " + name + ":\n" + code, e);
    }
  }

  /** Whether this thread has switched libtorch's graph optimiser off. */
  private static final ThreadLocal<Boolean> INTERPRETED = ThreadLocal.withInitial(() -> false);

  /**
   * Runs this thread's TorchScript modules in the plain interpreter, once per thread (the setting
   * is libtorch's, per thread). libtorch's profiling executor re-optimises a graph after its first
   * runs, so a fresh process (a resumed run) would compute its first steps through another graph
   * than a long-running one, off by a rounding: the plain interpreter keeps resume bitwise exact.
   * Called where a forward pass sets up its thread (autocast, grad mode), before any module runs.
   */
  static void useInterpreter() {
    if (!INTERPRETED.get()) {
      JniUtils.setGraphExecutorOptimize(false);
      INTERPRETED.set(true);
    }
  }

  /** Runs the module; the result is attached to the first input's manager. */
  NDArray apply(NDArray... inputs) {
    // isTrain only sets the module's training flag; autograd follows grad mode as for any op.
    return IValueUtils.forward(module, new NDList(inputs), true).singletonOrThrow();
  }

  /**
   * The pickled module object: an instance of {@code __torch__.<name>} with its {@code training}
   * flag and no parameters, as torch.jit.save writes it (protocol 2).
   */
  static byte[] pickle(String name) {
    String global =
        HexFormat.of().formatHex(("__torch__\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    return HexFormat.of()
        .parseHex(
            "8002" // protocol 2
                + "63"
                + global // GLOBAL __torch__ <name>
                + "7100"
                + "29"
                + "81" // memo, (), NEWOBJ
                + "7d"
                + "28" // {} MARK
                + "5808000000"
                + "747261696e696e67"
                + "7101"
                + "88" // "training": True
                + "5816000000"
                + "5f69735f66756c6c5f6261636b776172645f686f6f6b" // "_is_full_backward_hook"
                + "7102"
                + "4e" // : None
                + "75"
                + "62"
                + "7103"
                + "2e"); // SETITEMS, BUILD, STOP
  }

  /** A TorchScript archive: the pickled object, its class's code, no constants, format 3. */
  static byte[] archive(String name, String code) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      stored(zip, "module/data.pkl", pickle(name));
      stored(zip, "module/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
      stored(zip, "module/constants.pkl", new byte[] {(byte) 0x80, 0x02, 0x29, 0x2e});
      stored(zip, "module/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** libtorch's zip reader wants uncompressed entries. */
  private static void stored(ZipOutputStream zip, String name, byte[] content) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(content.length);
    e.setCompressedSize(content.length);
    CRC32 crc = new CRC32();
    crc.update(content);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(content);
    zip.closeEntry();
  }

  @Override
  public void close() {
    module.close();
  }
}
