package io.crossover.data.config;

import java.io.Serializable;
import java.util.Locale;

/**
 * The training objective: the only thing that differs between the runs of one comparison.
 *
 * <p>{@code objective.type} names an arm: {@code ar}, {@code mdm}, or an AR arm with the
 * regularisation controls of the reference study, e.g. {@code ar+mask0.15} (each input token
 * replaced by MASK with probability 0.15, targets unchanged), {@code ar+drop0.1} (dropout 0.1 on
 * attention weights and residual branches) or both, {@code ar+mask0.15+drop0.1}. They tell apart
 * "MDM wins" from "MDM is data augmentation"; MDM itself takes neither.
 *
 * @param type {@code ar} (causal, next token) or {@code mdm} (bidirectional, masked diffusion)
 * @param randomLengthProbability MDM: chance per step of training on a random length in 2..L
 * @param arInputMask AR: chance that an input token is replaced by MASK (0: off)
 * @param arDropout AR: dropout on attention weights and on each residual branch (0: off; never in
 *     evaluation)
 */
public record ObjectiveConfig(
    Type type, double randomLengthProbability, double arInputMask, double arDropout)
    implements Serializable {

  /** The two objectives. */
  public enum Type {
    AR,
    MDM
  }

  public ObjectiveConfig {
    if (type == Type.MDM && (arInputMask > 0 || arDropout > 0)) {
      throw new ConfigException(
          "objective.type",
          "input masking and dropout are controls for AR (ar+mask0.15, ar+drop0.1); mdm takes"
              + " neither");
    }
  }

  static ObjectiveConfig from(Keys k) {
    String value = k.nonEmpty("objective.type", "use ar, mdm, or an AR arm such as ar+mask0.15");
    String[] parts = value.trim().toLowerCase(Locale.ROOT).split("\\+");
    Type type;
    try {
      type = Type.valueOf(parts[0].toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          "objective.type",
          "value \""
              + value
              + "\" (from "
              + k.origin("objective.type")
              + ") is not allowed; use one of ar, mdm, or an AR arm such as ar+mask0.15,"
              + " ar+drop0.1");
    }
    double mask = k.fraction("objective.ar-input-mask", 0, 0.9);
    double drop = k.fraction("objective.ar-dropout", 0, 0.9);
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      String kind = p.startsWith("mask") ? "mask" : p.startsWith("drop") ? "drop" : null;
      double v;
      try {
        v = kind == null ? -1 : Double.parseDouble(p.substring(4));
      } catch (NumberFormatException e) {
        v = -1;
      }
      if (kind == null || !(v > 0 && v <= 0.9)) {
        throw new ConfigException(
            "objective.type",
            "value \""
                + value
                + "\": \"+"
                + p
                + "\" is not a control; write +maskP (input masking) or +dropP (dropout), P in"
                + " (0, 0.9], e.g. ar+mask0.15");
      }
      if ((kind.equals("mask") ? mask : drop) > 0) {
        throw new ConfigException(
            "objective.type",
            "value \""
                + value
                + "\" sets "
                + kind
                + " and so does objective.ar-"
                + (kind.equals("mask") ? "input-mask" : "dropout")
                + "; keep one");
      }
      if (kind.equals("mask")) {
        mask = v;
      } else {
        drop = v;
      }
    }
    return new ObjectiveConfig(
        type, k.fraction("objective.random-length-probability", 0, 1), mask, drop);
  }
}
