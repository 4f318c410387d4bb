package io.crossover.data.config;

/**
 * The training objective: the only thing that differs between the runs of one comparison.
 *
 * @param type {@code ar} (causal, next token) or {@code mdm} (bidirectional, masked diffusion)
 * @param randomLengthProbability MDM: chance per step of training on a random length in 2..L
 */
public record ObjectiveConfig(Type type, double randomLengthProbability)
    implements java.io.Serializable {

  /** The two objectives. */
  public enum Type {
    AR,
    MDM
  }

  static ObjectiveConfig from(Keys k) {
    return new ObjectiveConfig(
        k.choice("objective.type", Type.class),
        k.fraction("objective.random-length-probability", 0, 1));
  }
}
