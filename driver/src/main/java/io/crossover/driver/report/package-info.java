/**
 * The crossover report's computing: runs read and paired, comparisons with their intervals,
 * crossovers, data potentials, the task check and the findings decided by rule. Rendering is in
 * {@code report.render}.
 */
package io.crossover.driver.report;
