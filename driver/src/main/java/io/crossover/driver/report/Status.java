package io.crossover.driver.report;

/** How a claim fared: its label, and what it means (report.html lists them). */
public enum Status {
  REPRODUCED(
      "reproduced",
      "the interval lies on the claimed side of 0, with enough seeds to speak of the objectives"),
  SEEN_IN_THESE_RUNS(
      "seen in these runs",
      "on the claimed side, with fewer seeds than a claim about the objectives needs: it holds"
          + " for the models trained"),
  CONTRADICTED("contradicted", "the interval lies on the other side of 0"),
  CONTRADICTED_IN_THESE_RUNS(
      "contradicted in these runs", "on the other side, for the models trained"),
  NOT_SIGNIFICANT(
      "not significant",
      "the interval contains 0; the finding says the smallest difference it could detect"),
  NOT_REPRODUCED(
      "not reproduced",
      "a claim made with an upper bound (an ELBO) whose interval lies on the other side, which"
          + " the bound cannot turn into a contradiction"),
  NOT_SHOWN(
      "not shown",
      "what the claim needs was not observed: a change not within the equivalence margin, or a"
          + " rise that did not happen"),
  NOT_MEASURABLE(
      "not measurable",
      "the arm the claim rests on scores no better than chance: the task does not see it"),
  NOT_IDENTIFIED(
      "not identified",
      "a fitted law's parameter the claim rests on is not pinned down by the points (the finding"
          + " says why): no number is claimed"),
  NOT_TESTED("not tested", "these runs cannot speak to the claim (the finding says why)");

  private final String label;
  private final String meaning;

  Status(String label, String meaning) {
    this.label = label;
    this.meaning = meaning;
  }

  public String label() {
    return label;
  }

  public String meaning() {
    return meaning;
  }
}
