package io.crossover.driver.report;

import io.crossover.driver.report.Comparison.Verdict;

/**
 * The reference study's claims: a stable id, the name a finding starts with, the claim, the rule
 * that decides it and the objective it says is ahead.
 */
public enum Claim {
  DOWNSTREAM_CROSSOVER(
      "downstream_crossover",
      "Downstream crossover under repetition",
      "Under repetition (scarce unique data) MDM overtakes AR downstream.",
      Rule.SIDE_OF_ZERO,
      Verdict.MDM),
  AR_WINS_PLENTIFUL_DATA(
      "ar_wins_plentiful_data",
      "AR wins with plentiful unique data",
      "With plentiful unique data AR beats MDM downstream.",
      Rule.SIDE_OF_ZERO,
      Verdict.AR),
  AR_LOSS_RISES_SCORE_HOLDS(
      "ar_loss_rises_score_holds",
      "AR's validation loss rises while its score holds",
      "Under repetition AR's validation loss rises while its downstream score does not fall: it"
          + " stays within the equivalence margin, or rises.",
      Rule.EQUIVALENCE,
      Verdict.AR),
  MDM_BELOW_OVERFIT_AR(
      "mdm_below_overfit_ar",
      "MDM below an overfit AR in likelihood",
      "MDM's likelihood beats that of an AR overfit by repetition: its final ELBO (an upper bound"
          + " on its NLL) is below AR's final NLL.",
      Rule.UPPER_BOUND,
      Verdict.MDM),
  MDM_BELOW_EARLY_STOPPED_AR(
      "mdm_below_early_stopped_ar",
      "MDM below AR with early stopping, in likelihood",
      "MDM's likelihood beats AR's even with early stopping: its final ELBO is below AR's best"
          + " NLL.",
      Rule.UPPER_BOUND,
      Verdict.MDM),
  DATA_POTENTIAL(
      "data_potential",
      "Data potential over 3x",
      "AR needs more than 3x the unique data to match MDM (the reference estimates over 3x).",
      Rule.THRESHOLD,
      Verdict.MDM),
  HALF_LIFE_RATIO(
      "half_life_ratio",
      "Diffusion's data-reuse half-life over AR's",
      "Repeated data keeps its worth longer for MDM: the data-reuse half-life R* of Muennighoff"
          + " et al.'s data-constrained law, fitted per objective, is larger for MDM than for AR"
          + " (Prabhudesai et al. fit about 500 epochs against about 15).",
      Rule.FITTED_LAW,
      Verdict.MDM),
  LARGER_MODEL_GAINS_MORE(
      "larger_model_gains_more",
      "A larger model gains more",
      "A larger model gains more from repetition: MDM's lead under scarce data grows.",
      Rule.SIDE_OF_ZERO,
      Verdict.MDM),
  AR_CONTROLS(
      "ar_controls",
      "MDM beats AR's regularised control",
      "MDM's edge under repetition is not AR's regularisation alone: MDM still beats an AR"
          + " trained with input masking (or dropout), the reference study's control.",
      Rule.SIDE_OF_ZERO,
      Verdict.MDM);

  private final String id;
  private final String title;
  private final String statement;
  private final Rule rule;
  private final Verdict favours;

  Claim(String id, String title, String statement, Rule rule, Verdict favours) {
    this.id = id;
    this.title = title;
    this.statement = statement;
    this.rule = rule;
    this.favours = favours;
  }

  public String id() {
    return id;
  }

  public String title() {
    return title;
  }

  public String statement() {
    return statement;
  }

  public Rule rule() {
    return rule;
  }

  /** The objective the claim says is ahead: the side of the interval that reproduces it. */
  public Verdict favours() {
    return favours;
  }

  /** How a claim is decided from its interval; each claim has one. */
  public enum Rule {
    SIDE_OF_ZERO(
        true,
        "the MDM - AR score difference at the end of training lies on the claimed side of 0; not"
            + " measurable when the arm it rests on scores at chance"),
    EQUIVALENCE(
        true,
        "AR's validation loss rises significantly from its best evaluation, and its score change's"
            + " 90% interval lies within the equivalence margin or above 0"),
    UPPER_BOUND(
        false,
        "MDM's ELBO minus AR's NLL lies below 0; above 0 is not reproduced, never a contradiction"),
    THRESHOLD(
        true, "the interval of a ratio lies on the claimed side of the reference's threshold"),
    FITTED_LAW(
        false,
        "both objectives' fitted laws identify their parameter, and the ratio's interval lies on"
            + " the claimed side of 1");

    private final boolean restsOnTask;
    private final String meaning;

    Rule(boolean restsOnTask, String meaning) {
      this.restsOnTask = restsOnTask;
      this.meaning = meaning;
    }

    /** Whether the claim is read on the downstream task, so that the task's audit decides it. */
    public boolean restsOnTask() {
      return restsOnTask;
    }

    public String meaning() {
      return meaning;
    }
  }
}
