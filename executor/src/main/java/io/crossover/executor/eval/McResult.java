package io.crossover.executor.eval;

/**
 * A multiple-choice task's scores.
 *
 * @param acc share of items whose right choice has the lowest NLL
 * @param accNorm the same with NLL divided by the choice's length in UTF-8 bytes
 * @param accMi the same with NLL(choice | context) - NLL(choice | document start): the choice's
 *     pointwise mutual information with the context (lm-evaluation-harness's acc_mutual_info),
 *     which ignores how likely a choice is on its own
 * @param nllCorrect mean NLL of the right choices
 * @param nllWrong mean over items of the mean NLL of the wrong choices
 * @param deltaNll mean of NLL(right) - mean NLL(wrong): more negative is a clearer preference
 * @param items items scored
 */
public record McResult(
    double acc,
    double accNorm,
    double accMi,
    double nllCorrect,
    double nllWrong,
    double deltaNll,
    int items) {}
